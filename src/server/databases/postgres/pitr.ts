import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import { WharfError } from '../../../core/errors.js';
import type { BackupResult, DatabaseSpec } from '../../../core/database.js';
import { capture, type ResolvedBinaries, type RunAs } from './binaries.js';
import { sha256File } from './backup.js';
import { chownTree, isEmptyDir, layout, ownedDir, RECOVERY_CONF, restoreCommand, writeOwned, writeServerConfig } from './config.js';
import { pgCredentials } from './credentials.js';
import { connArgs, connEnv, connFor, query } from './psql.js';

// Point-in-time recovery: every finished WAL segment is archived (archive_command, set up by
// prepare), base backups are tarballs from pg_basebackup, and a recovery extracts a base
// backup into a NEW data dir, replays the source's archive up to a time and promotes.

export const BASE_TAR = 'base.tar.gz';

export async function baseBackup(bins: ResolvedBinaries, spec: DatabaseSpec, dir: string): Promise<BackupResult> {
  const started = Date.now();
  const target = path.resolve(dir);
  if (!(await isEmptyDir(target))) throw new WharfError('CONFLICT', `The base backup directory ${target} is not empty`);
  await mkdir(target, { recursive: true });
  const conn = connFor(spec, 'superuser');
  // -X fetch puts the WAL the backup needs inside base.tar.gz: the tarball is self-contained.
  const argv = [bins.client('pg_basebackup'), '-D', target, '-Ft', '-z', '-X', 'fetch', '--checkpoint=fast', ...connArgs(conn, { database: false })];
  const r = await capture(argv, { env: connEnv(conn) });
  if (r.exitCode !== 0) {
    await rm(target, { recursive: true, force: true });
    throw new WharfError('RUNTIME_ERROR', `pg_basebackup of ${spec.name} failed: ${r.stderr.trim()}`, { hint: 'Is the database running? See its logs.' });
  }
  const file = path.join(target, BASE_TAR);
  const { size } = await stat(file);
  return { path: target, bytes: size, durationMs: Date.now() - started, sha256: await sha256File(file), format: 'pg_basebackup tar.gz' };
}

/** The base backup's tarball, given its directory or the tarball itself. */
function baseTar(base: string): string {
  const p = path.resolve(base);
  const file = p.endsWith('.tar.gz') || p.endsWith('.tar') ? p : path.join(p, BASE_TAR);
  if (!existsSync(file)) throw new WharfError('NOT_FOUND', `No base backup at ${base} (expected ${file})`);
  return file;
}

/** The backup_label inside a base backup tarball. */
export async function readBackupLabel(base: string): Promise<string> {
  const chunks: Buffer[] = [];
  await tar.t({
    file: baseTar(base),
    onReadEntry: (entry) => {
      if (entry.path.replace(/^\.\//, '') === 'backup_label') entry.on('data', (c: Buffer) => chunks.push(c));
    },
  });
  const label = Buffer.concat(chunks).toString('utf8');
  if (!label) throw new WharfError('BAD_REQUEST', `${base} has no backup_label: not a pg_basebackup tarball`);
  return label;
}

/** The first WAL segment a base backup needs (START WAL LOCATION … (file <segment>)). */
export async function startSegment(base: string): Promise<string> {
  const m = /^START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)$/m.exec(await readBackupLabel(base));
  if (!m?.[1]) throw new WharfError('BAD_REQUEST', `The backup_label of ${base} names no start WAL segment`);
  return m[1];
}

/** Postgres's recovery_target_time format, in UTC. */
export function recoveryTime(time: Date): string {
  if (Number.isNaN(time.getTime())) throw new WharfError('BAD_REQUEST', 'The recovery time is not a valid date');
  return time.toISOString().replace('T', ' ').replace('Z', '+00');
}

export async function prepareRecovery(source: DatabaseSpec, base: string, target: DatabaseSpec, time: Date, who: RunAs | null): Promise<void> {
  const src = layout(source);
  const dst = layout(target);
  const when = recoveryTime(time);
  if (src.dataDir === dst.dataDir) throw new WharfError('CONFLICT', 'A point-in-time recovery goes into a new database, not the source itself');
  if (target.port === source.port) throw new WharfError('CONFLICT', 'The recovered database needs a port of its own');
  // The recovered cluster holds the source's roles, passwords and database: the new spec must carry them.
  const a = pgCredentials(source);
  const b = pgCredentials(target);
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    throw new WharfError('BAD_REQUEST', `${target.name} must have the credentials of ${source.name} (its roles come from the base backup)`, {
      hint: "Copy the source database's credentials into the new database's spec.",
    });
  }
  const tarball = baseTar(base);
  for (const dir of [dst.pgdata, dst.archiveDir]) {
    if (!(await isEmptyDir(dir))) throw new WharfError('CONFLICT', `${dir} is not empty: a recovery needs a new, empty database`);
  }
  await ownedDir(dst.dataDir, who);
  await ownedDir(dst.pgdata, who);
  await ownedDir(dst.runDir, who);
  await ownedDir(dst.archiveDir, who);
  await tar.x({ file: tarball, cwd: dst.pgdata, preserveOwner: false });
  for (const stale of ['postmaster.pid', 'postmaster.opts', 'standby.signal', RECOVERY_CONF]) await rm(path.join(dst.pgdata, stale), { force: true });
  await mkdir(path.join(dst.pgdata, 'pg_wal', 'archive_status'), { recursive: true });
  await chownTree(dst.pgdata, who);
  await ownedDir(dst.pgdata, who); // 0700, as Postgres requires
  // The target's own port, socket and (fresh) archive, then the recovery settings on top.
  await writeServerConfig(target, a.superuser, who);
  await writeOwned(
    path.join(dst.pgdata, RECOVERY_CONF),
    [
      '# Written by Wharf for a point-in-time recovery; removed by bootstrap once promoted.',
      `restore_command = '${restoreCommand(src.archiveDir).replace(/'/g, "''")}'`,
      `recovery_target_time = '${when}'`,
      "recovery_target_action = 'promote'",
      "recovery_target_timeline = 'latest'",
      // No connections until the recovery is done and the server is read-write.
      'hot_standby = off',
      '',
    ].join('\n'),
    who,
  );
  await writeOwned(path.join(dst.pgdata, 'recovery.signal'), '', who);
}

/** Once recovery is over (recovery.signal is gone) its settings are dropped. */
export async function finishRecovery(spec: DatabaseSpec): Promise<void> {
  const { pgdata } = layout(spec);
  if (existsSync(path.join(pgdata, RECOVERY_CONF)) && !existsSync(path.join(pgdata, 'recovery.signal'))) {
    await unlink(path.join(pgdata, RECOVERY_CONF));
  }
}

const WAL_FILE = /^([0-9A-F]{24})(\.partial|\.[0-9A-F]{8}\.backup)?$/;

/**
 * Deletes archived WAL that precedes the oldest kept base backup, the way pg_archivecleanup
 * does (which Debian ships with the server, not the client): segments, partial segments and
 * backup history files whose log/segment part (timeline ignored) sorts before the backup's
 * start segment. Timeline history files are kept.
 */
export async function pruneArchive(spec: DatabaseSpec, oldestBaseBackup: string): Promise<string[]> {
  const { archiveDir } = layout(spec);
  const keepFrom = (await startSegment(oldestBaseBackup)).slice(8);
  const removed: string[] = [];
  for (const name of await readdir(archiveDir).catch(() => [] as string[])) {
    const m = WAL_FILE.exec(name);
    if (m?.[1] && m[1].slice(8) < keepFrom) {
      await rm(path.join(archiveDir, name), { force: true });
      removed.push(name);
    }
  }
  return removed.sort();
}

/** Closes the current WAL segment and waits until it is in the archive; returns its name. */
export async function archiveNow(bins: ResolvedBinaries, spec: DatabaseSpec, timeoutMs = 60_000): Promise<string> {
  const { archiveDir } = layout(spec);
  const segment = (await query(bins, connFor(spec, 'superuser', 'postgres'), 'SELECT pg_walfile_name(pg_switch_wal())')).trim();
  if (!/^[0-9A-F]{24}$/.test(segment)) throw new WharfError('RUNTIME_ERROR', `unexpected WAL segment name ${JSON.stringify(segment)}`);
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path.join(archiveDir, segment))) {
    if (Date.now() > deadline) {
      throw new WharfError('RUNTIME_ERROR', `WAL segment ${segment} of ${spec.name} was not archived within ${timeoutMs} ms`, {
        hint: 'See the database log for archive_command failures.',
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return segment;
}
