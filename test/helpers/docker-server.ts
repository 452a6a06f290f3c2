import { createHash } from 'node:crypto';
import type Docker from 'dockerode';

// What a Wharf server on the docker runtime (dockerWharfEnv) leaves on the engine: its
// containers, networks, volumes and images all carry its `wharf.home` label (docs/docker.md).
// Wharf.cleanup() stops the server and removes its files; this removes the rest.

/** The `wharf.home` label value of an installation: sha256(WHARF_HOME), 12 hex digits. */
export function wharfHomeLabel(home: string): string {
  return createHash('sha256').update(home).digest('hex').slice(0, 12);
}

/** Removes everything on the engine labelled with this home; says how much it removed. */
export async function removeServerResources(docker: Docker, home: string): Promise<string> {
  const filters = JSON.stringify({ label: [`wharf.home=${wharfHomeLabel(home)}`] });
  const gone = (p: Promise<unknown>) =>
    p.catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
    });
  const containers = await docker.listContainers({ all: true, filters });
  for (const c of containers) await gone(docker.getContainer(c.Id).remove({ force: true, v: true }));
  const networks = await docker.listNetworks({ filters });
  for (const n of networks) await gone(docker.getNetwork(n.Id).remove());
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  for (const v of volumes ?? []) await gone(docker.getVolume(v.Name).remove());
  const images = await docker.listImages({ filters });
  for (const i of images) await gone(docker.getImage(i.Id).remove({ force: true }));
  return `removed ${containers.length} containers, ${networks.length} networks, ${(volumes ?? []).length} volumes, ${images.length} images`;
}
