import type Dockerode from 'dockerode';
import type { ArtifactRef } from '../../../core/artifact.js';
import { WharfError } from '../../../core/errors.js';
import type { ReplicaSpec, ResourceLimits, RunAs, VolumeMount } from '../../../core/runtime.js';
import { volumeName } from './labels.js';

// How a replica, job or exec becomes a container: the security defaults live here, in one
// place. No privileged mode, no capabilities a web app does not need, no new privileges, no
// host paths (volumes are named volumes), an init process that reaps zombies and forwards
// SIGTERM, memory/CPU/pid limits, and the engine's restart policy so crashes restart even
// while no control plane is up.

/** Capabilities dropped beyond the engine's default set (raw sockets, mknod, chroot tricks…). */
export const DROPPED_CAPS = ['NET_RAW', 'MKNOD', 'SYS_CHROOT', 'AUDIT_WRITE', 'SETFCAP'];
export const PIDS_LIMIT = 1024;

export function imageOf(artifact: ArtifactRef | undefined, what: string): string {
  if (artifact?.kind !== 'image') {
    throw new WharfError('BAD_REQUEST', `${what}: the docker runtime runs images, not a release folder`, {
      hint: 'Build the service for the docker runtime (runtime = "docker" in the project file), or run it on the process runtime.',
    });
  }
  return artifact.digest;
}

export function envList(env: Record<string, string>, port: number | null): string[] {
  const all = port === null ? env : { ...env, PORT: String(port) };
  return Object.entries(all).map(([k, v]) => `${k}=${v}`);
}

/** The user the caller asked for, as the engine's `User`. */
export function userOf(user: RunAs | null | undefined): { User?: string } {
  return user ? { User: `${user.uid}:${user.gid}` } : {};
}

/**
 * The user the program runs as. An image built from the user's own Dockerfile (label
 * `wharf.build=dockerfile`) keeps its USER: the Dockerfile says who its program runs as, and
 * owns its files for that user. Callers pass Wharf's per-service user for every deployment, so
 * the driver decides here, from the image; other images (generated from source, prebuilt,
 * databases) run as the user given.
 */
export async function userFor(docker: Dockerode, image: string, user: RunAs | null | undefined): Promise<{ User?: string }> {
  if (!user) return {};
  const info = await docker.getImage(image).inspect();
  return info.Config?.Labels?.['wharf.build'] === 'dockerfile' ? {} : userOf(user);
}

export function restartPolicyOf(restart: ReplicaSpec['restart'], restartsSoFar = 0): { Name: string; MaximumRetryCount?: number } {
  switch (restart.policy) {
    case 'ALWAYS':
      // unless-stopped: a container Wharf stopped stays stopped across an engine restart.
      return { Name: 'unless-stopped' };
    case 'NEVER':
      return { Name: 'no' };
    case 'ON_FAILURE': {
      // on-failure:0 means "unlimited" to the engine: no retries left is "no".
      const left = restart.maxRetries - restartsSoFar;
      return left > 0 ? { Name: 'on-failure', MaximumRetryCount: left } : { Name: 'no' };
    }
  }
}

export interface HostOptions {
  allowHostMounts: boolean;
  allowDockerSocket: boolean;
}

export function hostConfig(limits: ResourceLimits | undefined, volumes: VolumeMount[] | undefined): Dockerode.HostConfig {
  const memory = limits?.memoryBytes && limits.memoryBytes > 0 ? limits.memoryBytes : undefined;
  return {
    Init: true,
    Privileged: false,
    CapDrop: DROPPED_CAPS,
    SecurityOpt: ['no-new-privileges'],
    PidsLimit: PIDS_LIMIT,
    ...(memory ? { Memory: memory, MemorySwap: memory } : {}),
    ...(limits?.cpus && limits.cpus > 0 ? { NanoCpus: Math.round(limits.cpus * 1e9) } : {}),
    Mounts: (volumes ?? []).map((v) => ({ Type: 'volume' as const, Source: volumeName(v.name), Target: v.mountPath })),
    LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
  };
}

/** Refuses a mount of a host path or the engine's socket unless the installation allows it. */
export function checkMounts(volumes: VolumeMount[] | undefined, opts: HostOptions): void {
  for (const v of volumes ?? []) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(v.name)) {
      throw new WharfError('BAD_REQUEST', `volume name "${v.name}" is not a plain name`, {
        hint: 'Volumes are named volumes; host paths are not mounted.',
      });
    }
    if (!v.mountPath.startsWith('/')) {
      throw new WharfError('BAD_REQUEST', `volume "${v.name}": mount path "${v.mountPath}" is not absolute`, { hint: 'Use e.g. /data.' });
    }
    if (/docker\.sock$/.test(v.mountPath) && !opts.allowDockerSocket) {
      throw new WharfError('BAD_REQUEST', `volume "${v.name}" would cover the Docker socket path`, {
        hint: 'The engine socket is never given to apps unless the installation allows it.',
      });
    }
  }
}

/**
 * spec.publish: the port also bound on the host (a database server on 127.0.0.1 only, so
 * host-side backup tools and process-runtime apps reach it as they do a process server).
 */
export function publishedPorts(spec: Pick<ReplicaSpec, 'port' | 'publish'>): { exposed: { ExposedPorts?: Record<string, object> }; bindings: { PortBindings?: Dockerode.PortMap } } {
  if (!spec.publish || spec.port === null) return { exposed: {}, bindings: {} };
  const key = `${spec.port}/tcp`;
  return {
    exposed: { ExposedPorts: { [key]: {} } },
    bindings: { PortBindings: { [key]: [{ HostIp: spec.publish.hostIp, HostPort: String(spec.publish.hostPort) }] } },
  };
}
