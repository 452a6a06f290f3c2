import type { DatabaseContainer, DatabaseSpec } from '../../../core/database.js';
import { configuredImage } from '../docker/images.js';
import { mongoAccount } from './mongo-shell.js';

// MongoDB as a container (the official mongo:7 image; Debian has no MongoDB): the volume
// `wharf-vol-db-<id>` at /data/db. The root user cannot be made from the host as on the
// process runtime: the host's connections come through the published port from the engine's
// gateway, not from localhost, so the localhost exception does not apply. The prepare step
// makes it instead, once, on a mongod bound to the container's own loopback (as the official
// image's entrypoint does); bootstrap then finds it.

export const MONGO_DATA_PATH = '/data/db';
export const MONGO_CONTAINER_PORT = 27017;

const PREPARE_SCRIPT = [
  'set -eu',
  'D="$1"',
  'if [ ! -f "$D/.wharf-initialised" ]; then',
  '  mongod --dbpath "$D" --bind_ip 127.0.0.1 --port 27018 --fork --logpath /tmp/wharf-init.log >&2',
  '  mongosh --quiet --norc --port 27018 --eval "db.getSiblingDB(\'admin\').createUser({ user: process.env.WHARF_MONGO_USER, pwd: process.env.WHARF_MONGO_PASSWORD, roles: [{ role: \'root\', db: \'admin\' }] })" >&2',
  '  mongod --dbpath "$D" --shutdown >&2',
  '  date > "$D/.wharf-initialised"',
  'fi',
].join('\n');

export function mongoContainer(spec: DatabaseSpec, env: NodeJS.ProcessEnv = process.env): DatabaseContainer {
  const { user, password } = mongoAccount(spec);
  return {
    image: configuredImage('mongo', env),
    user: 'mongodb',
    port: MONGO_CONTAINER_PORT,
    volumes: [{ name: `db-${spec.id}`, mountPath: MONGO_DATA_PATH }],
    prepare: { command: ['sh', '-c', PREPARE_SCRIPT, 'prepare', MONGO_DATA_PATH], env: { WHARF_MONGO_USER: user, WHARF_MONGO_PASSWORD: password } },
    command: ['mongod', '--dbpath', MONGO_DATA_PATH, '--bind_ip_all', '--port', String(MONGO_CONTAINER_PORT), '--auth', '--setParameter', 'diagnosticDataCollectionEnabled=false'],
    env: {},
  };
}
