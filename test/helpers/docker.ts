import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import Docker from 'dockerode';

// What the Docker suites share: the engine (or why there is none), the local base images
// (scripts/docker/build-base-images.sh, docs/docker.md), a run-once container, and the sweep of
// what tests left behind. Every container, network and volume a test makes carries TEST_LABELS.

const execFileAsync = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');
export const BUILD_SCRIPT = path.join(REPO, 'scripts/docker/build-base-images.sh');
/** The script holds this file with flock(1) while it builds, so parallel test files (and a
 *  concurrent .ci/run) never build at once: a second caller waits, then finds the images. */
export const BASE_IMAGES_LOCK = path.join(os.tmpdir(), 'wharf-base-images.lock');
const BUILD_TIMEOUT_MS = 20 * 60_000;
const PING_TIMEOUT_MS = 2_000;

/** The local base images, by the names build-base-images.sh takes (`--list` prints the same). */
export const BASE_IMAGES = {
  debian: 'wharf-local/debian:bookworm',
  node: 'wharf-local/node:20',
  python: 'wharf-local/python:3.11',
  postgres: 'wharf-local/postgres:15',
  redis: 'wharf-local/redis:7',
  mariadb: 'wharf-local/mariadb:10.11',
} as const;
export type BaseImageName = keyof typeof BASE_IMAGES;

/** On everything a test creates, so sweepTestResources can find leftovers. */
export const TEST_LABELS: Record<string, string> = { 'wharf.test': '1' };

const HOST_CA_DIR = '/usr/local/share/ca-certificates';

let engine: Promise<Docker | null> | undefined;

/** The engine at DOCKER_HOST or /var/run/docker.sock, or null when it does not answer a ping
 *  within 2 s. Asked once per process. */
export function dockerEngine(): Promise<Docker | null> {
  engine ??= (async () => {
    const docker = new Docker();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), PING_TIMEOUT_MS);
    });
    try {
      const answered = await Promise.race([docker.ping().then(() => true, () => false), timeout]);
      return answered ? docker : null;
    } finally {
      clearTimeout(timer);
    }
  })();
  return engine;
}

function missingEngineReason(): string {
  const where = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  return `no Docker engine answers at ${where}: start one (as root: setsid dockerd > /var/log/dockerd.log 2>&1 < /dev/null &; .ci/run does) — docs/docker.md`;
}

/**
 * For `describe(name, { skip: await dockerSkip() }, …)`: false when an engine answers, else the
 * reason to skip. Under CI=true it throws instead: the Docker suites must run in CI, and the
 * failure names the missing engine where a skip would only be caught later by the runner's
 * allow-list (scripts/run-tests.mjs), and not at all when a file is run on its own.
 */
export async function dockerSkip(): Promise<string | false> {
  if (await dockerEngine()) return false;
  const reason = missingEngineReason();
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  return reason;
}

/** Inside a test: the engine, or null after skipping the test (outside CI; under CI it throws). */
export async function requireDocker(t: TestContext): Promise<Docker | null> {
  const reason = await dockerSkip();
  if (reason === false) return (await dockerEngine()) as Docker;
  t.skip(reason);
  return null;
}

let ensured: Promise<typeof BASE_IMAGES> | undefined;

/**
 * Builds the base images that are missing (once per process; the script skips the up-to-date
 * ones and serialises callers with BASE_IMAGES_LOCK). Needs root, as the script does. Does not
 * rebuild images whose inputs changed: .ci/run runs the script in full before the suites.
 */
export function ensureBaseImages(): Promise<typeof BASE_IMAGES> {
  ensured ??= (async () => {
    const docker = await dockerEngine();
    if (!docker) throw new Error(missingEngineReason());
    const missing: BaseImageName[] = [];
    for (const name of Object.keys(BASE_IMAGES) as BaseImageName[]) {
      if (!(await imageExists(docker, BASE_IMAGES[name]))) missing.push(name);
    }
    if (missing.length === 0) return BASE_IMAGES;
    try {
      await execFileAsync(BUILD_SCRIPT, missing, { timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 2 ** 20 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`building the base images ${missing.join(', ')} failed: ${(e.stderr || e.message).trim()}\n` +
        `(run ${path.relative(process.cwd(), BUILD_SCRIPT)} as root by hand to see it)`);
    }
    return BASE_IMAGES;
  })();
  ensured.catch(() => {
    ensured = undefined; // a failed build is retried by the next caller, not cached
  });
  return ensured;
}

async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` in a new container of `image` to completion and removes it, also on failure. */
export async function runOnce(
  docker: Docker,
  image: string,
  cmd: string[],
  opts: { user?: string; env?: string[]; labels?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunResult> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    User: opts.user,
    Env: opts.env,
    Labels: { ...TEST_LABELS, ...opts.labels },
    Tty: false,
  });
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await container.start();
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${image} ${cmd.join(' ')}: still running after ${timeoutMs} ms`)), timeoutMs);
    });
    const { StatusCode } = (await Promise.race([container.wait(), timedOut])) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { code: StatusCode, ...demux(logs) };
  } finally {
    clearTimeout(timer);
    await container.remove({ force: true, v: true });
  }
}

/** Splits the engine's multiplexed log stream (8-byte frame headers: stream, 0, 0, 0, size). */
function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out: Record<number, Buffer[]> = { 1: [], 2: [] };
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    out[buf[i]]?.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return { stdout: Buffer.concat(out[1]).toString(), stderr: Buffer.concat(out[2]).toString() };
}

export interface Swept {
  containers: number;
  networks: number;
  volumes: number;
}

/**
 * Removes the containers, networks and volumes labelled wharf.test=1 (and every extra label
 * given). Without extra labels it takes every test's leftovers on this engine, a running
 * suite's too: give a suite label to sweep only your own.
 */
export async function sweepTestResources(docker: Docker, extraLabels: Record<string, string> = {}): Promise<Swept> {
  const label = Object.entries({ ...TEST_LABELS, ...extraLabels }).map(([k, v]) => `${k}=${v}`);
  const filters = JSON.stringify({ label });
  const containers = await docker.listContainers({ all: true, filters });
  for (const c of containers) await ignoreGone(docker.getContainer(c.Id).remove({ force: true, v: true }));
  const networks = await docker.listNetworks({ filters });
  for (const n of networks) await ignoreGone(docker.getNetwork(n.Id).remove());
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  for (const v of volumes ?? []) await ignoreGone(docker.getVolume(v.Name).remove());
  return { containers: containers.length, networks: networks.length, volumes: (volumes ?? []).length };
}

async function ignoreGone(removal: Promise<unknown>): Promise<void> {
  try {
    await removal;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
}

/** The host's extra trusted CA files (what the base images trust besides Debian's list), for
 *  tests that put the CA into a build context. Empty when the host has none. */
export function hostCaBundle(dir = HOST_CA_DIR): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.crt')).sort().map((n) => path.join(dir, n));
}

/**
 * The server environment of a Wharf on the docker runtime in tests: the local base images
 * stand in for the official ones (no registry here), for builds and for databases. Pass it to
 * startWharf (test/helpers/wharf.ts) after `ensureBaseImages()`.
 */
export function dockerWharfEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    WHARF_RUNTIME: 'docker',
    WHARF_DOCKER_BASE_NODE: BASE_IMAGES.node,
    WHARF_DOCKER_BASE_STATIC: BASE_IMAGES.node,
    WHARF_DOCKER_BASE_PYTHON: BASE_IMAGES.python,
    WHARF_DOCKER_IMAGE_POSTGRES: BASE_IMAGES.postgres,
    WHARF_DOCKER_IMAGE_REDIS: BASE_IMAGES.redis,
    WHARF_DOCKER_IMAGE_MARIADB: BASE_IMAGES.mariadb,
    ...extra,
  };
}
