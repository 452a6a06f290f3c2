import type { DatabaseContainer, DatabaseProvider, DatabaseSpec, ServerCommand } from '../../core/database.js';
import { WharfError } from '../../core/errors.js';
import type { PrivateNetwork, ReplicaSpec } from '../../core/runtime.js';
import type { RestartPolicy } from '../../core/settings.js';
import { baseEnvironment } from '../deploy/platform-variables.js';
import type { DockerTools } from './docker/docker-tools.js';
import { imageUser } from './docker/image-user.js';

// How a database server runs, by its spec's runtime: a supervised process in its data folder,
// or a container of the engine's image with its data in a named volume, on the private network
// of its project-environment (by the service's name) and published on 127.0.0.1 (so the
// host-side tools — backups, restores, verification — and process apps reach it as before).

export type ServerPlacement = { runtime: 'process'; command: ServerCommand } | { runtime: 'docker'; container: DatabaseContainer };

export function serverPlacement(provider: DatabaseProvider, spec: DatabaseSpec): ServerPlacement {
  if (spec.runtime !== 'docker') return { runtime: 'process', command: provider.serverCommand(spec) };
  if (!provider.container) {
    throw new WharfError('RUNTIME_ERROR', `${spec.engine} databases cannot run on the docker runtime yet`, { hint: 'Create this database on the process runtime (WHARF_RUNTIME=process).' });
  }
  return { runtime: 'docker', container: provider.container(spec) };
}

export interface ServerReplicaInput {
  provider: DatabaseProvider;
  spec: DatabaseSpec;
  docker: DockerTools | null;
  serviceInstanceId: string;
  network?: PrivateNetwork;
  restart: { policy: RestartPolicy; maxRetries: number };
  stopGraceMs: number;
  logFile: string;
  /** Image pull progress, when the engine does not have the image yet. */
  onProgress?: (line: string) => void;
}

/** Prepares the server's data (initdb, config) and says how to run it; the caller starts it. */
export async function prepareServer(input: ServerReplicaInput): Promise<ReplicaSpec> {
  const { provider, spec } = input;
  const placement = serverPlacement(provider, spec);
  const common = {
    replicaId: spec.id,
    role: 'database' as const,
    deploymentId: null,
    serviceInstanceId: input.serviceInstanceId,
    restart: input.restart,
    liveness: null,
    stopGraceMs: input.stopGraceMs,
    logFile: input.logFile,
    secretValues: Object.entries(spec.credentials).map(([key, value]) => ({ key, value })),
  };
  if (placement.runtime === 'process') {
    await provider.prepare(spec);
    const { command } = placement;
    // The server runs in its own data folder as its own user (the provider's argv drops to it).
    return { ...common, artifact: { kind: 'release', releaseDir: command.cwd }, inPlace: true, command: command.argv, env: { ...baseEnvironment(), ...command.env }, port: null };
  }
  const docker = input.docker;
  if (!docker) throw new WharfError('INTERNAL', 'a docker database needs the docker tools');
  const { container } = placement;
  const artifact = await docker.image(spec.engine, input.onProgress);
  if (container.prepare) {
    await docker.jobs.runOk(
      { image: artifact.digest, user: container.user, command: container.prepare.command, env: container.prepare.env, volumes: container.volumes, timeoutMs: 10 * 60_000 },
      `preparing the data of ${spec.name}`,
    );
  }
  return {
    ...common,
    artifact,
    command: container.command,
    env: container.env,
    user: await imageUser(docker.jobs, artifact.digest, container.user),
    port: container.port,
    volumes: container.volumes,
    ...(input.network ? { network: input.network } : {}),
    publish: { hostIp: '127.0.0.1', hostPort: spec.port },
  };
}

/** The volumes that hold a docker database's data (none for a process one). */
export function volumesOf(provider: DatabaseProvider, spec: DatabaseSpec): string[] {
  return spec.runtime === 'docker' && provider.container ? provider.container(spec).volumes.map((v) => v.name) : [];
}

/**
 * On the docker runtime the published port accepts connections before the server inside does
 * (the engine's proxy answers for it), so an open port proves nothing: wait until the engine
 * itself answers — ready() where the provider has it, else a content query (the credentials
 * are in place from the first start: the prepare step wrote them). A no-op for processes.
 */
export async function untilServing(provider: DatabaseProvider, spec: DatabaseSpec, timeoutMs = 120_000): Promise<void> {
  if (spec.runtime !== 'docker') return;
  const probe = provider.ready ? () => provider.ready!(spec) : () => provider.inspect(spec).then(() => true, () => false);
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) {
      throw new WharfError('RUNTIME_ERROR', `${spec.name} did not answer within ${timeoutMs / 1000} s of its port opening`, { hint: 'See `wharf logs -s <database>`.' });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
