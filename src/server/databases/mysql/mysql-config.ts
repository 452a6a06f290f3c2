import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

// Files and names for one MariaDB/MySQL server: my.cnf (loopback TCP, a unix socket for the
// admin tools, everything under the data dir), client option files (the only place a password
// is written for a client), and quoting for the SQL Wharf generates.

/** Unix socket paths are limited to ~108 bytes; a long data dir gets a hashed name in the temp dir. */
const MAX_SOCKET_PATH = 100;

export const mysqlConfigFile = (dataDir: string) => path.join(dataDir, 'my.cnf');
export const mysqlDataDir = (dataDir: string) => path.join(dataDir, 'data');
export const mysqlTmpDir = (dataDir: string) => path.join(dataDir, 'tmp');

export function mysqlSocket(dataDir: string): string {
  const inDir = path.join(path.resolve(dataDir), 'mysqld.sock');
  if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH) return inDir;
  const digest = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `wharf-mysql-${digest}.sock`);
}

/** An option-file value, quoted (paths may hold spaces, passwords anything). */
export function optionValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

export function serverConfig(dataDir: string, port: number): string {
  return [
    '# Written by Wharf; rewritten by every prepare.',
    '[mysqld]',
    `datadir=${optionValue(mysqlDataDir(dataDir))}`,
    `tmpdir=${optionValue(mysqlTmpDir(dataDir))}`,
    `socket=${optionValue(mysqlSocket(dataDir))}`,
    `pid-file=${optionValue(path.join(dataDir, 'mysqld.pid'))}`,
    `port=${port}`,
    'bind-address=127.0.0.1',
    'skip-networking=0',
    // Accounts match 127.0.0.1 as written, never a looked-up name.
    'skip-name-resolve',
    'character-set-server=utf8mb4',
    'collation-server=utf8mb4_unicode_ci',
    '',
  ].join('\n');
}

/** A [client] option file; `password: null` connects without one (a fresh install's root). */
export function clientOptions(options: { user: string; password: string | null; socket?: string; port?: number; database?: string }): string {
  const lines = ['[client]', `user=${optionValue(options.user)}`];
  if (options.password !== null) lines.push(`password=${optionValue(options.password)}`);
  if (options.socket !== undefined) lines.push('protocol=SOCKET', `socket=${optionValue(options.socket)}`);
  else lines.push('protocol=TCP', 'host=127.0.0.1', `port=${options.port}`);
  if (options.database !== undefined) lines.push(`database=${optionValue(options.database)}`);
  return `${lines.join('\n')}\n`;
}

/** The service's name as a database name: railway-style, [a-z0-9_], at most 64 characters. */
export function databaseNameFor(serviceName: string): string {
  const cleaned = serviceName.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64);
  return cleaned === '' ? 'railway' : cleaned;
}

export const sqlString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
export const sqlIdent = (value: string) => `\`${value.replace(/`/g, '``')}\``;
