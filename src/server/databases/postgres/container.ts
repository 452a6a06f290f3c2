import type { DatabaseContainer, DatabaseSpec } from '../../../core/database.js';
import { configuredImage } from '../docker/images.js';
import { archiveCommand } from './config.js';
import { pgCredentials } from './credentials.js';

// Postgres as a container (the docker runtime). One named volume, `wharf-vol-db-<id>`, mounted
// at the data path of both the official image and Debian's, holding the same three folders as a
// data dir on the process runtime: pgdata/ (the cluster), wal-archive/ (archive_command's
// target) and, during a point-in-time recovery, recovery-wal/ (the source's archive copied in).
// The archive shares the volume with the data, as it shares the data dir on the process
// runtime: one volume is what is backed up, moved or deleted with the database.

export const PG_DATA_PATH = '/var/lib/postgresql/data';
export const PG_DIRS = {
  pgdata: `${PG_DATA_PATH}/pgdata`,
  archive: `${PG_DATA_PATH}/wal-archive`,
  recoveryWal: `${PG_DATA_PATH}/recovery-wal`,
};
export const PG_CONTAINER_PORT = 5432;
export const dataVolumeOf = (spec: Pick<DatabaseSpec, 'id'>) => `db-${spec.id}`;

/** Passwords only, from anywhere the server is reachable: its private network and 127.0.0.1 (published). */
export function containerHba(superuser: string): string {
  return [
    '# Written by Wharf on every start: passwords (SCRAM) only.',
    '# The server is reachable only on its private network and on 127.0.0.1 of the host.',
    '# TYPE  DATABASE     USER      ADDRESS        METHOD',
    'local   all          all                      scram-sha-256',
    'host    all          all       0.0.0.0/0      scram-sha-256',
    'host    all          all       ::/0           scram-sha-256',
    `host    replication  ${superuser}   0.0.0.0/0      scram-sha-256`,
    `host    replication  ${superuser}   ::/0           scram-sha-256`,
    '',
  ].join('\n');
}

/**
 * The one-shot step before every start, as the image's postgres user: initdb on an empty
 * volume (the superuser's password through a 0600 file removed at once), pg_hba.conf, the
 * include of a recovery's settings, and the end of a finished recovery (its settings and the
 * copied WAL go). A fixed script: every value arrives as an argument or in the environment.
 */
export const PREPARE_SCRIPT = [
  'set -eu',
  'D="$1"; SUPER="$2"',
  'mkdir -p "$D/pgdata" "$D/wal-archive"',
  'chmod 700 "$D/pgdata"',
  'if [ ! -s "$D/pgdata/PG_VERSION" ]; then',
  '  if [ -n "$(ls -A "$D/pgdata")" ]; then echo "$D/pgdata holds files but no Postgres cluster" >&2; exit 3; fi',
  '  umask 077',
  '  trap \'rm -f "$D/.initdb-pw"\' EXIT',
  '  printf "%s\\n" "$WHARF_PG_SUPERUSER_PASSWORD" > "$D/.initdb-pw"',
  '  initdb -D "$D/pgdata" -U "$SUPER" --auth=scram-sha-256 --pwfile="$D/.initdb-pw" --encoding=UTF8 --locale=C',
  'fi',
  'printf "%s" "$WHARF_PG_HBA" > "$D/pgdata/pg_hba.conf"',
  'chmod 600 "$D/pgdata/pg_hba.conf"',
  'grep -q "wharf-recovery.conf" "$D/pgdata/postgresql.conf" || printf "\\n# Wharf\\ninclude_if_exists = \'wharf-recovery.conf\'\\n" >> "$D/pgdata/postgresql.conf"',
  'if [ -f "$D/pgdata/wharf-recovery.conf" ] && [ ! -f "$D/pgdata/recovery.signal" ]; then rm -f "$D/pgdata/wharf-recovery.conf"; rm -rf "$D/recovery-wal"; fi',
  'rm -f "$D/pgdata/postmaster.pid"',
].join('\n');

/** Server settings on the command line (they win over postgresql.conf): the same as wharf.conf on the process runtime. */
export function serverArgs(): string[] {
  const settings: Record<string, string> = {
    listen_addresses: '*',
    port: String(PG_CONTAINER_PORT),
    unix_socket_directories: '/tmp',
    unix_socket_permissions: '0700',
    password_encryption: 'scram-sha-256',
    wal_level: 'replica',
    archive_mode: 'on',
    archive_command: archiveCommand(PG_DIRS.archive),
    archive_timeout: '60',
    max_wal_senders: '3',
    log_destination: 'stderr',
    logging_collector: 'off',
  };
  return ['postgres', '-D', PG_DIRS.pgdata, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
}

export function postgresContainer(spec: DatabaseSpec, env: NodeJS.ProcessEnv = process.env): DatabaseContainer {
  const c = pgCredentials(spec);
  return {
    image: configuredImage('postgres', env),
    user: 'postgres',
    port: PG_CONTAINER_PORT,
    volumes: [{ name: dataVolumeOf(spec), mountPath: PG_DATA_PATH }],
    prepare: {
      command: ['sh', '-c', PREPARE_SCRIPT, 'prepare', PG_DATA_PATH, c.superuser],
      env: { WHARF_PG_SUPERUSER_PASSWORD: c.superuserPassword, WHARF_PG_HBA: containerHba(c.superuser) },
    },
    command: serverArgs(),
    // The official image's entrypoint initialises $PGDATA when it finds no cluster there: point
    // it at ours, which prepare has made, so it only execs the command.
    env: { PGDATA: PG_DIRS.pgdata },
  };
}
