import type { DatabaseContainer, DatabaseSpec } from '../../../core/database.js';
import { configuredImage } from '../docker/images.js';
import { mysqlCredentials } from './mysql-client.js';
import { sqlString } from './mysql-config.js';

// MariaDB as a container: the volume `wharf-vol-db-<id>` at /var/lib/mysql (the data path of the
// official image and of Debian's) holding data/, tmp/ and the init file. Root is `root@'%'`
// with the stored password: the host's tools arrive through the published port from the
// engine's gateway, not from loopback; the server is reachable only on its private network and
// on 127.0.0.1 of the host. The password reaches the server through --init-file (0600, in the
// volume, run at every start), never argv or the container's environment.

export const MYSQL_DATA_PATH = '/var/lib/mysql';
export const MYSQL_CONTAINER_PORT = 3306;
const INIT_FILE = `${MYSQL_DATA_PATH}/wharf-init.sql`;

const PREPARE_SCRIPT = [
  'set -eu',
  'D="$1"',
  'umask 077',
  'mkdir -p "$D/tmp"',
  'if [ ! -f "$D/.wharf-initialised" ]; then',
  '  rm -rf "$D/data"; mkdir -p "$D/data"',
  '  mariadb-install-db --no-defaults --datadir="$D/data" --auth-root-authentication-method=normal --skip-test-db >&2',
  '  date > "$D/.wharf-initialised"',
  'fi',
  'printf "%s" "$WHARF_MYSQL_INIT" > "$D/wharf-init.sql"',
  'rm -f "$D/mysqld.pid"',
].join('\n');

export function rootInitSql(rootPassword: string): string {
  const root = `'root'@'%'`;
  return [
    `CREATE USER IF NOT EXISTS ${root} IDENTIFIED BY ${sqlString(rootPassword)};`,
    `ALTER USER ${root} IDENTIFIED BY ${sqlString(rootPassword)};`,
    `GRANT ALL PRIVILEGES ON *.* TO ${root} WITH GRANT OPTION;`,
    '',
  ].join('\n');
}

export function mysqlContainer(spec: DatabaseSpec, env: NodeJS.ProcessEnv = process.env): DatabaseContainer {
  const c = mysqlCredentials(spec);
  return {
    image: configuredImage('mysql', env),
    user: 'mysql',
    port: MYSQL_CONTAINER_PORT,
    volumes: [{ name: `db-${spec.id}`, mountPath: MYSQL_DATA_PATH }],
    prepare: { command: ['sh', '-c', PREPARE_SCRIPT, 'prepare', MYSQL_DATA_PATH], env: { WHARF_MYSQL_INIT: rootInitSql(c.rootPassword) } },
    // --no-defaults: the image's own option files (Debian binds 127.0.0.1) have no say.
    command: [
      'mariadbd',
      '--no-defaults',
      `--datadir=${MYSQL_DATA_PATH}/data`,
      `--tmpdir=${MYSQL_DATA_PATH}/tmp`,
      `--socket=${MYSQL_DATA_PATH}/mysqld.sock`,
      `--pid-file=${MYSQL_DATA_PATH}/mysqld.pid`,
      `--port=${MYSQL_CONTAINER_PORT}`,
      '--bind-address=*',
      '--skip-name-resolve',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      `--init-file=${INIT_FILE}`,
    ],
    env: {},
  };
}
