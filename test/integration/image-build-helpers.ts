import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import type { BuildPlan, DetectContext, SourceDir } from '../../src/core/build.js';
import { DEFAULT_SETTINGS, type ServiceSettings } from '../../src/core/settings.js';
import { planBuild } from '../../src/server/builders/detect.js';
import { buildImageArtifact, removeImageArtifact, type ImageBuildOptions } from '../../src/server/builders/image/index.js';
import type { ImageBuildSettings } from '../../src/server/builders/image/engine.js';
import { waitFor } from '../helpers/wait.js';

// Image builds against the real engine: sources written to temp folders, built through
// buildImageArtifact, run directly with dockerode (the docker runtime is written elsewhere),
// and every image, container and folder removed afterwards. Everything carries wharf.test=1.

export const docker = new Docker({ socketPath: process.env.DOCKER_SOCK ?? '/var/run/docker.sock' });
export const DEBIAN = process.env.WHARF_TEST_DEBIAN_IMAGE ?? 'wharf-local/debian:bookworm';
export const NODE = process.env.WHARF_DOCKER_BASE_NODE ?? 'wharf-local/node:20';
export const TEST_LABELS = { 'wharf.test': '1' };

/** Why the suite cannot run here (no engine, no base image), or null. */
export async function missing(): Promise<string | null> {
  try {
    await docker.ping();
  } catch {
    return 'no Docker engine on /var/run/docker.sock';
  }
  for (const image of [DEBIAN, NODE]) {
    if (!(await docker.getImage(image).inspect().then(() => true, () => false))) return `base image ${image} is missing (scripts/docker/build-base-images.sh)`;
  }
  return null;
}

export class Lab {
  readonly instanceId = `test-${randomBytes(4).toString('hex')}`;
  private dirs: string[] = [];
  private refs: Array<{ image: string; digest: string }> = [];
  private containers: Docker.Container[] = [];
  private artifacts = 0;

  async source(files: Record<string, string>): Promise<SourceDir> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-imgbuild-'));
    this.dirs.push(dir);
    for (const [rel, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await fs.writeFile(path.join(dir, rel), text);
    }
    return { path: dir, digest: randomBytes(8).toString('hex') };
  }

  plan(source: SourceDir, settings: Partial<ServiceSettings> = {}, variables: Record<string, string> = {}): Promise<BuildPlan> {
    const context: DetectContext = { runtime: 'docker', variables };
    return planBuild(source, { ...DEFAULT_SETTINGS, ...settings }, context);
  }

  async build(plan: BuildPlan, source: SourceDir, opts: { env?: Record<string, string>; settings?: Partial<ImageBuildSettings>; signal?: AbortSignal; home?: string } = {}) {
    const lines: string[] = [];
    const artifactId = `A${++this.artifacts}-${randomBytes(3).toString('hex')}`;
    const build: ImageBuildOptions = {
      artifactId,
      instanceId: this.instanceId,
      runtime: 'docker',
      env: opts.env ?? {},
      log: (line) => lines.push(line),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.home ? { home: opts.home } : {}),
    };
    const tag = `wharf/${this.instanceId}:${artifactId}`.toLowerCase();
    this.refs.push({ image: tag, digest: '' });
    const settings = { baseImages: { node: NODE, static: NODE, python: NODE }, ...(opts.settings ?? {}) };
    try {
      const artifact = await buildImageArtifact(plan, source, build, { docker, labels: TEST_LABELS, settings });
      if (artifact.ref.kind === 'image') this.refs.push(artifact.ref);
      return { artifact, lines, tag };
    } catch (err) {
      (err as Error & { lines?: string[]; tag?: string }).lines = lines;
      (err as Error & { lines?: string[]; tag?: string }).tag = tag;
      throw err;
    }
  }

  /** Runs `cmd` in the image to its end and returns its stdout. */
  async run(image: string, cmd?: string[], user?: string): Promise<string> {
    const c = await docker.createContainer({ Image: image, ...(cmd ? { Cmd: cmd } : {}), ...(user ? { User: user } : {}), Labels: TEST_LABELS, Tty: true });
    this.containers.push(c);
    await c.start();
    await c.wait();
    // docker-modem parses a body that happens to be JSON ("2\n" → 2): take it back to text.
    const out: unknown = await c.logs({ stdout: true, stderr: true });
    return Buffer.isBuffer(out) ? out.toString('utf8') : typeof out === 'string' ? out : JSON.stringify(out);
  }

  /** Starts the image with PORT set and a published port; returns its base URL. */
  async serve(image: string, env: Record<string, string> = {}): Promise<string> {
    const c = await docker.createContainer({
      Image: image,
      Env: Object.entries({ PORT: '8080', ...env }).map(([k, v]) => `${k}=${v}`),
      Labels: TEST_LABELS,
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    this.containers.push(c);
    await c.start();
    const port = (await c.inspect()).NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
    return `http://127.0.0.1:${port}`;
  }

  /** GET until a 200 (node:http with its own timeout: the port is published before the app listens). */
  async get(url: string): Promise<string> {
    return waitFor(`${url} to answer`, () => httpGet(url), { timeoutMs: 20_000, intervalMs: 200 });
  }

  async cleanup(): Promise<void> {
    for (const c of this.containers) await c.remove({ force: true, v: true }).catch(() => undefined);
    for (const ref of this.refs) {
      if (ref.digest) await removeImageArtifact({ kind: 'image', ...ref }, { docker }).catch(() => undefined);
      await docker.getImage(ref.image).remove({ force: true }).catch(() => undefined);
    }
    for (const dir of this.dirs) await fs.rm(dir, { recursive: true, force: true });
  }
}

function httpGet(url: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? body : null));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

export async function tagExists(tag: string): Promise<boolean> {
  return docker.getImage(tag).inspect().then(() => true, () => false);
}
