import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import type { DatabaseEngine, DatabaseProvider, DatabaseSpec } from '../../src/core/database.js';
import { dockerTools, type DockerTools } from '../../src/server/databases/docker/docker-tools.js';
import { IMAGE_SETTINGS } from '../../src/server/databases/docker/images.js';
import { demux, volumeName } from '../../src/server/databases/docker/volume-jobs.js';
import { removeReplicaContainer, startReplicaContainer } from '../../src/server/databases/docker/replica-container.js';
import { prepareServer, untilServing, volumesOf } from '../../src/server/databases/server-replica.js';
import { waitForPort } from '../../src/server/databases/spec.js';
import { freePort } from '../../src/server/ports.js';

// Databases on a real Docker engine, from the images built from Debian's packages
// (scripts/docker/build-base-images.sh). Everything made here carries wharf.test=1 and is
// removed by cleanup(). Without the engine the suites skip outside CI and fail under CI=true.

export const TEST_LABELS = { 'wharf.test': '1' };
export const LOCAL_IMAGES: Record<DatabaseEngine, string> = {
  postgres: 'wharf-local/postgres:15',
  redis: 'wharf-local/redis:7',
  mysql: 'wharf-local/mariadb:10.11',
  mongo: 'wharf-local/mongo:7',
};
for (const [engine, image] of Object.entries(LOCAL_IMAGES)) process.env[IMAGE_SETTINGS[engine as DatabaseEngine]] ??= image;
// New databases go to docker, and the providers check only the host's client tools.
process.env.WHARF_RUNTIME = 'docker';

export const tools: DockerTools = dockerTools(process.env, { 'wharf.managed': '1', ...TEST_LABELS });

/** null when the engine answers; else why not (a failure under CI=true). */
export async function engineMissing(): Promise<string | null> {
  try {
    await (await tools.client()).ping();
    return null;
  } catch (error) {
    const why = `no Docker engine: ${(error as Error).message}`;
    if (process.env.CI === 'true') throw new Error(`${why} (CI=true: the docker database suites must run)`);
    return why;
  }
}

export async function imageMissing(engine: DatabaseEngine): Promise<string | null> {
  try {
    await (await tools.client()).getImage(process.env[IMAGE_SETTINGS[engine]]!).inspect();
    return null;
  } catch {
    return `the image ${process.env[IMAGE_SETTINGS[engine]]} is not on the engine (scripts/docker/build-base-images.sh builds it)`;
  }
}

export interface Lab {
  docker: Docker;
  home: string;
  network: string;
  specs: DatabaseSpec[];
  /** A new docker database spec (unique id, free published port). */
  spec(engine: DatabaseEngine, name: string, provider: DatabaseProvider, credentials?: Record<string, string>): Promise<DatabaseSpec>;
  /** prepare + start the container + wait for the port (+ ready) + bootstrap. */
  serve(provider: DatabaseProvider, spec: DatabaseSpec): Promise<void>;
  /** Removes the server's container (its volume stays). */
  removeServer(spec: DatabaseSpec): Promise<void>;
  /** Runs a command in a container of `image` on the lab's network; returns exit code and output. */
  onNetwork(image: string, command: string[], env?: Record<string, string>): Promise<{ exitCode: number; output: string }>;
  volumeExists(name: string): Promise<boolean>;
  cleanup(): Promise<void>;
}

export async function lab(): Promise<Lab> {
  const docker = await tools.client();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-dbdocker-'));
  const network = `wharf-test-db-${randomBytes(4).toString('hex')}`;
  await docker.createNetwork({ Name: network, Labels: TEST_LABELS });
  const specs: DatabaseSpec[] = [];
  const providers = new Map<string, DatabaseProvider>();
  const self: Lab = {
    docker,
    home,
    network,
    specs,
    async spec(engine, name, provider, credentials) {
      const id = `dk${engine.slice(0, 2)}_${randomBytes(4).toString('hex')}`;
      const spec: DatabaseSpec = { id, engine, name, dataDir: path.join(home, id), port: await freePort(), credentials: credentials ?? provider.newCredentials(name), runtime: 'docker' };
      fs.mkdirSync(spec.dataDir, { recursive: true, mode: 0o700 });
      specs.push(spec);
      providers.set(id, provider);
      return spec;
    },
    async serve(provider, spec) {
      const replica = await prepareServer({
        provider,
        spec,
        docker: tools,
        serviceInstanceId: `test-${spec.id}`,
        network: { name: network, aliases: [spec.name] },
        restart: { policy: 'ALWAYS', maxRetries: 0 },
        stopGraceMs: 20_000,
        logFile: path.join(home, `${spec.id}.log`),
      });
      assert.equal(replica.role, 'database');
      assert.equal(replica.deploymentId, null);
      assert.deepEqual(replica.publish, { hostIp: '127.0.0.1', hostPort: spec.port });
      const container = await startReplicaContainer(docker, replica, TEST_LABELS);
      const logs = async () => demux((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer);
      try {
        await waitForPort(spec.port, 60_000, async () => ((await container.inspect()).State.Running ? null : `exited: ${await logs()}`));
        // As the manager does: the published port opens before the server inside answers.
        await untilServing(provider, spec);
        await provider.bootstrap(spec);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- server log ---\n${await logs()}`);
      }
    },
    async removeServer(spec) {
      await removeReplicaContainer(docker, spec.id, 20_000);
    },
    async onNetwork(image, command, env = {}) {
      const container = await docker.createContainer({
        Image: image,
        Entrypoint: [],
        Cmd: command,
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        Labels: TEST_LABELS,
        HostConfig: { NetworkMode: network },
      });
      try {
        await container.start();
        const { StatusCode } = (await container.wait()) as { StatusCode: number };
        return { exitCode: StatusCode, output: demux((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer) };
      } finally {
        await container.remove({ force: true });
      }
    },
    async volumeExists(name) {
      return docker
        .getVolume(volumeName(name))
        .inspect()
        .then(
          () => true,
          () => false,
        );
    },
    async cleanup() {
      for (const spec of specs) await removeReplicaContainer(docker, spec.id, 5_000).catch(() => undefined);
      for (const spec of specs) await tools.jobs.removeVolumes(volumesOf(providers.get(spec.id)!, spec)).catch(() => undefined);
      await docker.getNetwork(network).remove().catch(() => undefined);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  return self;
}
