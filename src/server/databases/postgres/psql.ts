import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WharfError } from '../../../core/errors.js';
import type { DatabaseSpec } from '../../../core/database.js';
import { capture, toolEnv, type ResolvedBinaries } from './binaries.js';
import { pgCredentials } from './credentials.js';

// Wharf talks to Postgres through psql (no client library): argv only, the password in
// PGPASSWORD, never in argv. SQL passed here is built from validated identifiers and fixed
// text; secrets reach a script through \getenv, never through the SQL text.

export interface Conn {
  port: number;
  user: string;
  password: string;
  database: string;
}

export type Role = 'superuser' | 'app' | 'migration';

export function connFor(spec: DatabaseSpec, role: Role, database?: string): Conn {
  const c = pgCredentials(spec);
  const [user, password] =
    role === 'superuser' ? [c.superuser, c.superuserPassword] : role === 'app' ? [c.appUser, c.appPassword] : [c.migrationUser, c.migrationPassword];
  return { port: spec.port, user, password, database: database ?? c.database };
}

/** The connection options of every libpq tool (psql, pg_dump, pg_restore, pg_basebackup). */
export function connArgs(conn: Conn, opts: { database?: boolean } = {}): string[] {
  const args = ['-h', '127.0.0.1', '-p', String(conn.port), '-U', conn.user];
  return opts.database === false ? args : [...args, '-d', conn.database];
}

export function connEnv(conn: Conn, extra: Record<string, string> = {}): Record<string, string> {
  return toolEnv({ PGPASSWORD: conn.password, PGCONNECT_TIMEOUT: '5', PGSSLMODE: 'disable', ...extra });
}

export class PsqlError extends WharfError {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super('RUNTIME_ERROR', message, { details: { stderr } });
  }
}

/** Runs one SQL command; returns psql's unaligned, tuples-only output. */
export async function query(bins: ResolvedBinaries, conn: Conn, sql: string, timeoutMs = 60_000): Promise<string> {
  const argv = [bins.client('psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...connArgs(conn), '-At', '-c', sql];
  const r = await capture(argv, { env: connEnv(conn), timeoutMs });
  if (r.exitCode !== 0) throw new PsqlError(`psql as ${conn.user} on ${conn.database} failed: ${r.stderr.trim()}`, r.stderr);
  return r.stdout;
}

/** Runs a psql script (may use \getenv, \gexec, \if) with extra environment variables. */
export async function script(bins: ResolvedBinaries, conn: Conn, text: string, env: Record<string, string> = {}, timeoutMs = 120_000): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-psql-'));
  try {
    const file = path.join(dir, 'script.sql');
    await writeFile(file, text, { mode: 0o600 });
    const argv = [bins.client('psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...connArgs(conn), '-At', '-f', file];
    const r = await capture(argv, { env: connEnv(conn, env), timeoutMs });
    if (r.exitCode !== 0) throw new PsqlError(`psql script as ${conn.user} on ${conn.database} failed: ${r.stderr.trim()}`, r.stderr);
    return r.stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
