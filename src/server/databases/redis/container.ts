import { randomBytes, randomInt } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import type { DatabaseContainer, DatabaseSpec } from '../../../core/database.js';
import { WharfError } from '../../../core/errors.js';
import type { DockerTools } from '../docker/docker-tools.js';
import { configuredImage } from '../docker/images.js';
import { demux } from '../docker/volume-jobs.js';
import { imageUser } from '../docker/image-user.js';
import { redisConfig } from './redis-config.js';
import type { ScratchServer } from './redis-restore.js';

// Redis as a container: the volume `wharf-vol-db-<id>` at /data (the data path of the official
// image and of Debian's), holding redis.conf (written by the prepare step: it carries the
// password, which so never appears in the container's argv or environment) and data/.

export const REDIS_DATA_PATH = '/data';
export const REDIS_CONTAINER_PORT = 6379;

export function redisContainer(spec: DatabaseSpec, password: string, env: NodeJS.ProcessEnv = process.env): DatabaseContainer {
  const conf = redisConfig({ port: REDIS_CONTAINER_PORT, password, dir: `${REDIS_DATA_PATH}/data`, persistent: true, bind: '* -::*' });
  return {
    image: configuredImage('redis', env),
    user: 'redis',
    port: REDIS_CONTAINER_PORT,
    volumes: [{ name: `db-${spec.id}`, mountPath: REDIS_DATA_PATH }],
    prepare: {
      command: ['sh', '-c', 'set -eu; umask 077; mkdir -p "$1/data"; printf "%s" "$WHARF_REDIS_CONF" > "$1/redis.conf"', 'prepare', REDIS_DATA_PATH],
      env: { WHARF_REDIS_CONF: conf },
    },
    command: ['redis-server', `${REDIS_DATA_PATH}/redis.conf`],
    env: {},
  };
}

/**
 * The restore's scratch server on the docker runtime: a container of the same image in the live
 * server's network namespace (`container:wharf-<id>`), so the live server replicates from its own
 * loopback and the scratch server is reachable from nowhere else.
 */
export async function dockerScratch(docker: DockerTools, spec: DatabaseSpec, backupFile: string): Promise<ScratchServer> {
  const engine = await docker.client();
  const image = await docker.image('redis');
  const password = randomBytes(24).toString('hex');
  const port = randomInt(20_000, 30_000);
  const parent = await mkdtemp(path.join(os.tmpdir(), 'wharf-redis-restore-'));
  const who = await imageUser(docker.jobs, image.digest, 'redis');
  const container = await engine.createContainer({
    name: `wharf-dbjob-${randomBytes(6).toString('hex')}`,
    Image: image.digest,
    User: `${who.uid}:${who.gid}`,
    Entrypoint: [],
    Cmd: ['sh', '-c', 'i=0; while [ ! -e /tmp/scratch/.wharf-go ]; do i=$((i+1)); if [ $i -gt 3000 ]; then exit 124; fi; sleep 0.1; done; exec redis-server /tmp/scratch/scratch.conf'],
    Labels: { ...docker.labels, 'wharf.role': 'database-job', 'wharf.replica': spec.id },
    HostConfig: { NetworkMode: `container:wharf-${spec.id}` },
  });
  const stop = async () => {
    await container.remove({ force: true }).catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
  };
  try {
    // Readable by the redis user inside (the files arrive root's); the folder on the host is 0700.
    await mkdir(path.join(parent, 'scratch'));
    await chmod(path.join(parent, 'scratch'), 0o755);
    await writeFile(path.join(parent, 'scratch', 'scratch.conf'), redisConfig({ port, password, dir: '/tmp/scratch', persistent: false }));
    await copyFile(backupFile, path.join(parent, 'scratch', 'dump.rdb'));
    for (const f of ['scratch.conf', 'dump.rdb']) await chmod(path.join(parent, 'scratch', f), 0o644);
    await writeFile(path.join(parent, 'scratch', '.wharf-go'), '');
    // Put into the running container, which waits for the files at a gate.
    await container.start();
    await container.putArchive(tar.c({ cwd: parent, portable: true }, ['scratch']) as never, { path: '/tmp' });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    password,
    alive: async () => {
      const state = (await container.inspect()).State;
      if (!state.Running) {
        const log = demux((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer);
        throw new WharfError('RUNTIME_ERROR', `The backup could not be loaded: ${log.trim().split('\n').slice(-3).join(' | ')}`, {
          hint: 'Is the file an RDB snapshot from wharf db backup, written by this Redis version or an older one?',
        });
      }
    },
    loaded: null,
    stop,
  };
}
