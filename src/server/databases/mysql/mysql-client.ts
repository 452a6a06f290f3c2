import path from 'node:path';
import type { DatabaseSpec } from '../../../core/database.js';
import { WharfError } from '../../../core/errors.js';
import { clientOptions, mysqlSocket } from './mysql-config.js';
import { runTool, toolEnv, withPrivateDir, writePrivateFile, type ToolOutput } from '../tools.js';

// Running SQL as root through the server's unix socket: the password goes in a 0600 option file
// (--defaults-file, so no system-wide my.cnf gets a say), the SQL through stdin from a 0600 file,
// the output in batch mode (tab-separated, no headers).

export interface Credentials {
  rootPassword: string;
  database: string;
  user: string;
  password: string;
}

export function mysqlCredentials(spec: DatabaseSpec): Credentials {
  const { MYSQL_ROOT_PASSWORD, MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD } = spec.credentials;
  if (!MYSQL_ROOT_PASSWORD || !MYSQL_DATABASE || !MYSQL_USER || !MYSQL_PASSWORD) {
    throw new WharfError('INTERNAL', `Database ${spec.name} lacks MYSQL_ROOT_PASSWORD, MYSQL_DATABASE, MYSQL_USER or MYSQL_PASSWORD in its credentials`);
  }
  return { rootPassword: MYSQL_ROOT_PASSWORD, database: MYSQL_DATABASE, user: MYSQL_USER, password: MYSQL_PASSWORD };
}

export interface RootSqlOptions {
  /** null: root before bootstrap has set its password. */
  password?: string | null;
  database?: string;
  /** A file to feed instead of `sql` (a dump). */
  file?: string;
  timeoutMs?: number;
}

/** Runs a tool (client or dump) with `--defaults-file=<0600 root option file>` put first, as they require. */
export async function asRoot(
  spec: DatabaseSpec,
  tool: string,
  args: readonly string[],
  options: { password?: string | null; database?: string; stdinFile?: string; stdinText?: string; timeoutMs?: number } = {},
): Promise<ToolOutput> {
  const password = options.password === undefined ? mysqlCredentials(spec).rootPassword : options.password;
  return withPrivateDir(spec.dataDir, async (dir) => {
    const optionFile = path.join(dir, 'root.cnf');
    // A container's socket is not on the host: there root comes in through the published port.
    const via = spec.runtime === 'docker' ? { port: spec.port } : { socket: mysqlSocket(spec.dataDir) };
    writePrivateFile(optionFile, clientOptions({ user: 'root', password, ...via, ...(options.database !== undefined ? { database: options.database } : {}) }));
    let stdinFile = options.stdinFile;
    if (options.stdinText !== undefined) {
      stdinFile = path.join(dir, 'input.sql');
      writePrivateFile(stdinFile, options.stdinText);
    }
    return runTool([tool, `--defaults-file=${optionFile}`, ...args], {
      cwd: spec.dataDir,
      env: toolEnv(),
      timeoutMs: options.timeoutMs ?? 10 * 60_000,
      ...(stdinFile !== undefined ? { stdinFile } : {}),
    });
  });
}

export function accessDenied(output: ToolOutput): boolean {
  return output.exitCode !== 0 && /ERROR 1045|Access denied/i.test(output.stderr);
}

export function sqlFailure(spec: DatabaseSpec, what: string, output: ToolOutput): WharfError {
  const tail = output.stderr.trim().split('\n').slice(-3).join(' ');
  return new WharfError('RUNTIME_ERROR', `MySQL ${spec.name}: ${what} failed: ${tail || `exit ${output.exitCode}`}`, {
    hint: 'Check that the database server is running (wharf status) and look at its logs.',
  });
}

/** Runs SQL as root; the rows of the last result, tab-separated columns. */
export async function rootQuery(client: string, spec: DatabaseSpec, sql: string, options: RootSqlOptions = {}): Promise<string[][]> {
  const output = await asRoot(spec, client, ['--batch', '--skip-column-names'], {
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.database !== undefined ? { database: options.database } : {}),
    ...(options.file !== undefined ? { stdinFile: options.file } : { stdinText: sql }),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  if (output.exitCode !== 0) throw sqlFailure(spec, options.file ? 'loading the backup' : 'a query', output);
  return output.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}
