import type Dockerode from 'dockerode';
import type { PrivateNetwork, VolumeMount } from '../../../core/runtime.js';
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

export async function ensureVolumes(docker: Dockerode, volumes: VolumeMount[] | undefined, labels: Record<string, string>): Promise<void> {
  for (const v of volumes ?? []) {
    const name = volumeName(v.name);
    try {
      await docker.getVolume(name).inspect();
    } catch {
      // Creating an existing volume is a no-op in the engine, so a race here is harmless.
      await docker.createVolume({ Name: name, Labels: { ...labels, 'wharf.volume': v.name } });
    }
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
