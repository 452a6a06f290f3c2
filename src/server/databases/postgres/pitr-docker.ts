import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { WharfError } from '../../../core/errors.js';
import type { DatabaseSpec } from '../../../core/database.js';
import type { DockerTools } from '../docker/docker-tools.js';
import type { ResolvedBinaries } from './binaries.js';
import { RECOVERY_CONF, restoreCommand } from './config.js';
import { pgCredentials } from './credentials.js';
import { BASE_TAR, recoveryTime, startSegment } from './pitr.js';
import { connFor, query } from './psql.js';
import { dataVolumeOf, PG_DATA_PATH, PG_DIRS } from './container.js';
import { imageUser } from '../docker/image-user.js';

// Point-in-time recovery on the docker runtime. Base backups are the same (pg_basebackup over
// the published port into the host's backup folder); what reads or writes the archive runs in a
// one-shot container of the server's image with the volumes mounted, since the engine (maybe
// remote) owns them: pruning is pg_archivecleanup, a recovery extracts the base tarball into the
// new database's volume (putArchive) and copies the source's archive beside it.

/** Closes the current WAL segment and waits until the server reports it archived (pg_stat_archiver). */
export async function archiveNowDocker(bins: ResolvedBinaries, spec: DatabaseSpec, timeoutMs = 60_000): Promise<string> {
  const conn = connFor(spec, 'superuser', 'postgres');
  const segment = (await query(bins, conn, 'SELECT pg_walfile_name(pg_switch_wal())')).trim();
  if (!/^[0-9A-F]{24}$/.test(segment)) throw new WharfError('RUNTIME_ERROR', `unexpected WAL segment name ${JSON.stringify(segment)}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = (await query(bins, conn, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")).trim();
    if (/^[0-9A-F]{24}$/.test(last) && last >= segment) return segment;
    if (Date.now() > deadline) {
      throw new WharfError('RUNTIME_ERROR', `WAL segment ${segment} of ${spec.name} was not archived within ${timeoutMs} ms`, { hint: 'See the database log for archive_command failures.' });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function pruneArchiveDocker(docker: DockerTools, spec: DatabaseSpec, oldestBaseBackup: string): Promise<void> {
  const image = await docker.image('postgres');
  const keepFrom = await startSegment(oldestBaseBackup);
  await docker.jobs.runOk(
    { image: image.digest, user: 'postgres', command: ['pg_archivecleanup', PG_DIRS.archive, keepFrom], volumes: [{ name: dataVolumeOf(spec), mountPath: PG_DATA_PATH }], timeoutMs: 5 * 60_000 },
    `pruning the WAL archive of ${spec.name}`,
  );
}

/** As root (the put files arrive root's): lay out the new cluster, copy the source's archive, hand it all to postgres. */
const COPY_SCRIPT = [
  'set -eu',
  'D="$1"; WHO="$2"',
  'mkdir -p "$D/pgdata/pg_wal/archive_status" "$D/wal-archive" "$D/recovery-wal"',
  'rm -f "$D/pgdata/postmaster.pid" "$D/pgdata/postmaster.opts" "$D/pgdata/standby.signal"',
  'chmod 700 "$D/pgdata"',
  'if [ -d /wharf/source/wal-archive ]; then cp -R /wharf/source/wal-archive/. "$D/recovery-wal/"; fi',
  'chown -R "$WHO" "$D/pgdata" "$D/wal-archive" "$D/recovery-wal"',
  'chown "$WHO" "$D"',
  'chmod 700 "$D/pgdata"',
].join('\n');

export async function prepareRecoveryDocker(docker: DockerTools, source: DatabaseSpec, base: string, target: DatabaseSpec, time: Date): Promise<void> {
  const when = recoveryTime(time);
  if (source.id === target.id) throw new WharfError('CONFLICT', 'A point-in-time recovery goes into a new database, not the source itself');
  if (JSON.stringify(pgCredentials(source)) !== JSON.stringify(pgCredentials(target))) {
    throw new WharfError('BAD_REQUEST', `${target.name} must have the credentials of ${source.name} (its roles come from the base backup)`, {
      hint: "Copy the source database's credentials into the new database's spec.",
    });
  }
  const tarball = path.resolve(base).endsWith('.tar.gz') ? path.resolve(base) : path.join(path.resolve(base), BASE_TAR);
  const image = await docker.image('postgres');
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'wharf-pitr-'));
  try {
    // pgdata/ first (the base tarball's entries have no folder of their own), then the recovery settings.
    await mkdir(path.join(scratch, 'dir', 'pgdata'), { recursive: true, mode: 0o700 });
    await mkdir(path.join(scratch, 'conf'), { mode: 0o700 });
    await writeFile(
      path.join(scratch, 'conf', RECOVERY_CONF),
      [
        '# Written by Wharf for a point-in-time recovery; removed before the first start after promotion.',
        `restore_command = '${restoreCommand(PG_DIRS.recoveryWal).replace(/'/g, "''")}'`,
        `recovery_target_time = '${when}'`,
        "recovery_target_action = 'promote'",
        "recovery_target_timeline = 'latest'",
        'hot_standby = off',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    await writeFile(path.join(scratch, 'conf', 'recovery.signal'), '', { mode: 0o600 });
    const who = await imageUser(docker.jobs, image.digest, 'postgres');
    const pack = (cwd: string, entries: string[]) => () => tar.c({ cwd, portable: true }, entries) as unknown as NodeJS.ReadableStream as never;
    await docker.jobs.runOk(
      {
        image: image.digest,
        user: '0:0',
        command: ['sh', '-c', COPY_SCRIPT, 'recover', PG_DATA_PATH, `${who.uid}:${who.gid}`],
        volumes: [
          { name: dataVolumeOf(target), mountPath: PG_DATA_PATH },
          { name: dataVolumeOf(source), mountPath: '/wharf/source', readOnly: true },
        ],
        puts: [
          { path: PG_DATA_PATH, archive: pack(path.join(scratch, 'dir'), ['pgdata']) },
          { path: PG_DIRS.pgdata, archive: () => createReadStream(tarball) },
          { path: PG_DIRS.pgdata, archive: pack(path.join(scratch, 'conf'), [RECOVERY_CONF, 'recovery.signal']) },
        ],
        timeoutMs: 60 * 60_000,
      },
      `preparing the recovery of ${source.name} into ${target.name}`,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
