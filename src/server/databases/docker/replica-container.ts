import type Docker from 'dockerode';
import type { ReplicaSpec } from '../../../core/runtime.js';
import { WharfError } from '../../../core/errors.js';
import { ensureVolumes, volumeName } from './volume-jobs.js';

// What a database replica on the docker runtime becomes on the engine: the container the docker
// runtime creates from a ReplicaSpec with role 'database'. The runtime helper owns the real
// driver (logs, restarts, adoption); this small version says what a database needs of it — the
// image's entrypoint cleared (the command is the server itself), uid:gid, the named volumes,
// the private network with its aliases, and `publish` on 127.0.0.1 only — and is what the
// database tests start their servers with.

export function containerOptions(spec: ReplicaSpec, labels: Record<string, string>): Docker.ContainerCreateOptions {
  if (spec.artifact.kind !== 'image') throw new WharfError('INTERNAL', `replica ${spec.replicaId} has no image`);
  const port = spec.port === null ? null : `${spec.port}/tcp`;
  return {
    name: `wharf-${spec.replicaId}`,
    Image: spec.artifact.digest,
    Entrypoint: [],
    Cmd: spec.command,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    ...(spec.user ? { User: `${spec.user.uid}:${spec.user.gid}` } : {}),
    Labels: {
      ...labels,
      'wharf.managed': '1',
      'wharf.replica': spec.replicaId,
      'wharf.instance': spec.serviceInstanceId,
      'wharf.role': spec.role,
      'wharf.deployment': spec.deploymentId ?? '',
    },
    ...(port ? { ExposedPorts: { [port]: {} } } : {}),
    StopTimeout: Math.ceil(spec.stopGraceMs / 1000),
    HostConfig: {
      Mounts: (spec.volumes ?? []).map((v) => ({ Type: 'volume' as const, Source: volumeName(v.name), Target: v.mountPath })),
      ...(spec.publish && port ? { PortBindings: { [port]: [{ HostIp: spec.publish.hostIp, HostPort: String(spec.publish.hostPort) }] } } : {}),
      ...(spec.network ? { NetworkMode: spec.network.name } : {}),
      RestartPolicy: spec.restart.policy === 'NEVER' ? { Name: 'no' } : { Name: 'unless-stopped' },
    },
    ...(spec.network ? { NetworkingConfig: { EndpointsConfig: { [spec.network.name]: { Aliases: spec.network.aliases } } } } : {}),
  };
}

export async function startReplicaContainer(docker: Docker, spec: ReplicaSpec, labels: Record<string, string> = {}): Promise<Docker.Container> {
  await ensureVolumes(docker, (spec.volumes ?? []).map((v) => v.name), { ...labels, 'wharf.managed': '1' });
  const container = await docker.createContainer(containerOptions(spec, labels));
  await container.start();
  return container;
}

/** Stops (SIGTERM, then SIGKILL after the grace) and removes the container; its volumes stay. */
export async function removeReplicaContainer(docker: Docker, replicaId: string, graceMs = 60_000): Promise<void> {
  const container = docker.getContainer(`wharf-${replicaId}`);
  await container.stop({ t: Math.ceil(graceMs / 1000) }).catch(() => undefined);
  await container.remove({ force: true }).catch((error: { statusCode?: number }) => {
    if (error.statusCode !== 404) throw error;
  });
}
