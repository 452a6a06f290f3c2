import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import type { DeploymentView, ServiceStatusView } from '../../src/core/api.js';
import { homeLabel } from '../../src/server/runtimes/docker/labels.js';
import { REPO, parseJson, type Wharf } from '../helpers/wharf.js';

// What the docker platform e2e tests share: a project folder made of the platform app
// (test/fixtures/docker-platform), the CLI's views, the engine's view of one installation, and
// the removal of everything that installation made on the engine.

export const FIXTURE = path.join(REPO, 'test/fixtures/docker-platform');

/** A project folder: wharf.toml (or another project file) and one copy of the app per service root. */
export async function makeProject(into: string, name: string, files: Record<string, string>, roots: Record<string, 'node' | 'psql'> = {}): Promise<string> {
  const dir = path.join(into, `src-${name}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  for (const [root, kind] of Object.entries(roots)) {
    const target = path.join(dir, root);
    await mkdir(target, { recursive: true });
    await cp(path.join(FIXTURE, 'server.js'), path.join(target, 'server.js'));
    await cp(path.join(FIXTURE, 'package.json'), path.join(target, 'package.json'));
    if (kind === 'psql') await cp(path.join(FIXTURE, 'Dockerfile.psql'), path.join(target, 'Dockerfile'));
  }
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

export async function statusOf(wharf: Wharf, cwd: string, service: string): Promise<ServiceStatusView> {
  const all = parseJson<ServiceStatusView[]>(await wharf.cli(['status', '--json'], { cwd }));
  const one = all.find((s) => s.service === service);
  if (!one) throw new Error(`no service ${service} in ${JSON.stringify(all.map((s) => s.service))}`);
  return one;
}

export async function deploymentsOf(wharf: Wharf, cwd: string, service: string): Promise<DeploymentView[]> {
  return parseJson<DeploymentView[]>(await wharf.cli(['deployments', '--json', '-s', service], { cwd }));
}

/** The containers of this installation (its wharf.home label), running or not. */
export async function containersOf(docker: Docker, wharf: Wharf): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`wharf.home=${homeLabel(wharf.home)}`] }) });
}

/** Removes the containers, images, networks and volumes the installation at `home` made. */
export async function sweepInstallation(docker: Docker, home: string): Promise<{ containers: number; images: number; networks: number; volumes: number }> {
  const filters = JSON.stringify({ label: [`wharf.home=${homeLabel(home)}`] });
  const containers = await docker.listContainers({ all: true, filters });
  for (const c of containers) await gone(docker.getContainer(c.Id).remove({ force: true, v: true }));
  const images = await docker.listImages({ filters });
  for (const i of images) await gone(docker.getImage(i.Id).remove({ force: true }));
  const networks = await docker.listNetworks({ filters });
  for (const n of networks) await gone(docker.getNetwork(n.Id).remove());
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  for (const v of volumes ?? []) await gone(docker.getVolume(v.Name).remove({ force: true }));
  return { containers: containers.length, images: images.length, networks: networks.length, volumes: (volumes ?? []).length };
}

async function gone(removal: Promise<unknown>): Promise<void> {
  try {
    await removal;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
}

/** Times a phase and prints it (the whole file must stay under ~4 minutes). */
export async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await run();
  } finally {
    console.log(`# phase ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}
