import { chmod, lchown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WharfError } from '../../../core/errors.js';
import type { DatabaseSpec } from '../../../core/database.js';
import type { RunAs } from './binaries.js';

// The files of one Postgres server under spec.dataDir:
//   pgdata/        the cluster (initdb); pgdata/wharf.conf holds the settings Wharf manages,
//                  pgdata/wharf-recovery.conf the point-in-time recovery settings (if any)
//   run/           the unix socket and its lock file
//   wal-archive/   every finished WAL segment (archive_command)
// Paths end up inside postgresql.conf strings and in the archive/restore commands Postgres runs
// through its own shell, so they are limited to a plain character set.

export const SAFE_PATH = /^\/[A-Za-z0-9_./-]+$/;
export const MANAGED_CONF = 'wharf.conf';
export const RECOVERY_CONF = 'wharf-recovery.conf';
/** Linux sun_path is 108 bytes with the NUL. */
const MAX_SOCKET_PATH = 107;

export interface Layout {
  dataDir: string;
  pgdata: string;
  runDir: string;
  archiveDir: string;
}

export function safePath(p: string, what: string): string {
  if (!SAFE_PATH.test(p) || p.split('/').includes('..')) {
    throw new WharfError('BAD_REQUEST', `The ${what} path ${JSON.stringify(p)} is not allowed for Postgres`, {
      hint: 'Use an absolute path made of letters, digits, and _ . / - only (it is written into Postgres settings and archive commands).',
    });
  }
  return p;
}

export function layout(spec: DatabaseSpec): Layout {
  if (spec.engine !== 'postgres') throw new WharfError('INTERNAL', `the Postgres provider got a ${spec.engine} database`);
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) throw new WharfError('BAD_REQUEST', `invalid port ${spec.port}`);
  const dataDir = safePath(path.resolve(spec.dataDir), 'data directory');
  return {
    dataDir,
    pgdata: path.join(dataDir, 'pgdata'),
    runDir: path.join(dataDir, 'run'),
    archiveDir: path.join(dataDir, 'wal-archive'),
  };
}

/** A postgresql.conf string literal (the value is already a safe path or fixed text). */
const confString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Archives %p as <dir>/%f: copy then rename (never a partial file), and an identical re-archive succeeds. */
export function archiveCommand(archiveDir: string): string {
  const d = safePath(archiveDir, 'WAL archive');
  return `if [ -f '${d}/%f' ]; then cmp -s %p '${d}/%f'; else cp %p '${d}/%f.part' && mv '${d}/%f.part' '${d}/%f'; fi`;
}

export function restoreCommand(archiveDir: string): string {
  const d = safePath(archiveDir, 'WAL archive');
  return `cp '${d}/%f' %p`;
}

export function managedSettings(spec: DatabaseSpec): string {
  const l = layout(spec);
  const socketFits = `${l.runDir}/.s.PGSQL.${spec.port}`.length <= MAX_SOCKET_PATH;
  return [
    '# Written by Wharf from the database spec on every prepare: edit with ALTER SYSTEM instead.',
    "listen_addresses = '127.0.0.1'",
    `port = ${spec.port}`,
    // Too long a path for a unix socket: no socket at all (Wharf always connects over TCP).
    `unix_socket_directories = ${confString(socketFits ? l.runDir : '')}`,
    'unix_socket_permissions = 0700',
    "password_encryption = 'scram-sha-256'",
    'wal_level = replica',
    'archive_mode = on',
    `archive_command = ${confString(archiveCommand(l.archiveDir))}`,
    'archive_timeout = 60',
    'max_wal_senders = 3',
    "log_destination = 'stderr'",
    'logging_collector = off',
    '',
  ].join('\n');
}

export const HBA = [
  '# Written by Wharf: passwords (SCRAM) only, loopback only; replication for the superuser.',
  '# TYPE  DATABASE     USER      ADDRESS        METHOD',
  'local   all          all                      scram-sha-256',
  'host    all          all       127.0.0.1/32   scram-sha-256',
  'local   replication  {super}                  scram-sha-256',
  'host    replication  {super}   127.0.0.1/32   scram-sha-256',
  '',
].join('\n');

const INCLUDES = `\n# Wharf\ninclude_if_exists = '${MANAGED_CONF}'\ninclude_if_exists = '${RECOVERY_CONF}'\n`;

/** Writes wharf.conf and pg_hba.conf, and makes postgresql.conf include wharf.conf (once). */
export async function writeServerConfig(spec: DatabaseSpec, superuser: string, who: RunAs | null): Promise<void> {
  const { pgdata } = layout(spec);
  const mainConf = path.join(pgdata, 'postgresql.conf');
  const current = await readFile(mainConf, 'utf8');
  if (!current.includes(`include_if_exists = '${MANAGED_CONF}'`)) await writeFile(mainConf, current + INCLUDES);
  await writeOwned(path.join(pgdata, MANAGED_CONF), managedSettings(spec), who);
  await writeOwned(path.join(pgdata, 'pg_hba.conf'), HBA.replaceAll('{super}', superuser), who);
}

export async function writeOwned(file: string, content: string, who: RunAs | null, mode = 0o600): Promise<void> {
  await writeFile(file, content, { mode });
  await chmod(file, mode);
  if (who) await lchown(file, who.uid, who.gid);
}

/** mkdir -p, owned by the server's user. */
export async function ownedDir(dir: string, who: RunAs | null, mode = 0o700): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
  await chmod(dir, mode);
  if (who) await lchown(dir, who.uid, who.gid);
}

export async function chownTree(root: string, who: RunAs | null): Promise<void> {
  if (!who) return;
  await lchown(root, who.uid, who.gid);
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  for (const e of entries) await lchown(path.join(e.parentPath, e.name), who.uid, who.gid);
}

export async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/** The run-as user must reach the data dir through every parent (mkdtemp dirs are 0700). */
export async function assertReachable(dir: string, who: RunAs | null): Promise<void> {
  if (!who) return;
  for (let p = path.dirname(dir); ; p = path.dirname(p)) {
    const st = await stat(p);
    const ok = (st.uid === who.uid && st.mode & 0o100) || (st.gid === who.gid && st.mode & 0o010) || st.mode & 0o001;
    if (!ok) {
      throw new WharfError('RUNTIME_ERROR', `Postgres runs as "${who.user}", which cannot enter ${p} to reach ${dir}`, {
        hint: `Let it through (\`chmod o+x ${p}\`) or put the state directory somewhere it can reach.`,
      });
    }
    if (p === path.dirname(p)) return;
  }
}
