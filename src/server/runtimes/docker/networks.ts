import type Dockerode from 'dockerode';
import type { PrivateNetwork, RunAs, VolumeMount } from '../../../core/runtime.js';
import { volumeName } from './labels.js';

// A project-environment's private network and the named volumes, made on first use and
// labelled as Wharf's. The network is a plain bridge, not internal: apps reach the internet,
// and the router and probes on the host reach containers at their address on it.

function conflict(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 409;
}

export async function ensureNetwork(docker: Dockerode, network: PrivateNetwork, labels: Record<string, string>): Promise<void> {
  const found = await docker.listNetworks({ filters: { name: [network.name] } });
  if (found.some((n) => n.Name === network.name)) return;
  try {
    await docker.createNetwork({ Name: network.name, Driver: 'bridge', Internal: false, CheckDuplicate: true, Labels: labels });
  } catch (err) {
    if (!conflict(err)) throw err; // made by a concurrent start meanwhile
  }
}

/** Who must own a new volume: the user Wharf runs its own images as (`user`), set with `image`. */
export interface VolumeOwner {
  image: string;
  user: RunAs;
}

export async function ensureVolumes(docker: Dockerode, volumes: VolumeMount[] | undefined, labels: Record<string, string>, owner?: VolumeOwner): Promise<void> {
  for (const v of volumes ?? []) {
    const name = volumeName(v.name);
    try {
      await docker.getVolume(name).inspect();
    } catch {
      // Creating an existing volume is a no-op in the engine, so a race here is harmless.
      await docker.createVolume({ Name: name, Labels: { ...labels, 'wharf.volume': v.name } });
      if (owner) await chownVolume(docker, name, owner, labels);
    }
  }
}

const CHOWN_TIMEOUT_MS = 60_000;

/**
 * A new volume's root is root's (0755), and an image Wharf built from source runs as Wharf's
 * own uid, which could then write nothing into its volume. Once, when the volume is made, a
 * one-shot container of that image gives its root to that uid (no network, only the volume);
 * a Dockerfile's image keeps the engine's behaviour (its USER and its folders decide).
 */
async function chownVolume(docker: Dockerode, name: string, owner: VolumeOwner, labels: Record<string, string>): Promise<void> {
  const container = await docker.createContainer({
    Image: owner.image,
    Entrypoint: [],
    Cmd: ['chown', `${owner.user.uid}:${owner.user.gid}`, '/volume'],
    User: '0:0',
    Labels: { ...labels, 'wharf.role': 'volume-helper' },
    HostConfig: { Mounts: [{ Type: 'volume', Source: name, Target: '/volume' }], NetworkMode: 'none' },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await container.start();
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`chown of volume ${name} still running after ${CHOWN_TIMEOUT_MS} ms`)), CHOWN_TIMEOUT_MS);
    });
    const { StatusCode } = (await Promise.race([container.wait(), timedOut])) as { StatusCode: number };
    if (StatusCode !== 0) throw new Error(`chown of volume ${name} exited with code ${StatusCode}`);
  } finally {
    clearTimeout(timer);
    await container.remove({ force: true, v: false }).catch(() => undefined);
  }
}

/** The networking part of a create: the private network with its aliases, or the default bridge. */
export function networkingConfig(network: PrivateNetwork | undefined): Pick<Dockerode.ContainerCreateOptions, 'NetworkingConfig'> & { HostConfigNetworkMode?: string } {
  if (!network) return {};
  return {
    HostConfigNetworkMode: network.name,
    NetworkingConfig: { EndpointsConfig: { [network.name]: { Aliases: network.aliases } } },
  };
}
