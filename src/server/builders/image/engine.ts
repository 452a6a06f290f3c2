import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type Docker from 'dockerode';

// The engine image builds talk to, and what this installation says about building:
// WHARF_DOCKER_HOST (default the local socket), WHARF_DOCKER_BUILDKIT, WHARF_DOCKER_BUILD_NETWORK,
// WHARF_BUILD_TIMEOUT and the WHARF_DOCKER_BASE_* base images. dockerode is loaded only here,
// and only when something is built for the docker runtime.

export interface ImageBuildSettings {
  /** 'auto' asks the engine; '1' forces BuildKit, '0' the legacy builder. */
  buildkit: 'auto' | '1' | '0';
  /** The network RUN steps use (`host` lets a build reach a package index on the host's loopback). */
  network: string | null;
  /** The whole build, in milliseconds. */
  timeoutMs: number;
  baseImages: { node: string; static: string; python: string };
}

export const DEFAULT_BUILD_TIMEOUT_SECONDS = 1800;

export function imageBuildSettings(env: NodeJS.ProcessEnv = process.env): ImageBuildSettings {
  const bk = env.WHARF_DOCKER_BUILDKIT?.trim().toLowerCase();
  const timeout = Number(env.WHARF_BUILD_TIMEOUT);
  return {
    buildkit: bk === '1' || bk === 'true' ? '1' : bk === '0' || bk === 'false' ? '0' : 'auto',
    network: env.WHARF_DOCKER_BUILD_NETWORK?.trim() || null,
    timeoutMs: (Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_BUILD_TIMEOUT_SECONDS) * 1000,
    baseImages: {
      node: env.WHARF_DOCKER_BASE_NODE?.trim() || 'node:20-bookworm-slim',
      static: env.WHARF_DOCKER_BASE_STATIC?.trim() || env.WHARF_DOCKER_BASE_NODE?.trim() || 'node:20-bookworm-slim',
      python: env.WHARF_DOCKER_BASE_PYTHON?.trim() || 'python:3.12-slim-bookworm',
    },
  };
}

/** What image builds need: an engine, and labels to add (tests add wharf.test=1). */
export interface ImageEngine {
  docker: Docker;
  labels?: Record<string, string>;
  settings?: Partial<ImageBuildSettings>;
}

const clients = new Map<string, Promise<Docker>>();

/** A client of the engine at `host` (else WHARF_DOCKER_HOST, else the local socket), made once per host. */
export function defaultDocker(host?: string, env: NodeJS.ProcessEnv = process.env): Promise<Docker> {
  const address = host?.trim() || env.WHARF_DOCKER_HOST?.trim() || 'unix:///var/run/docker.sock';
  let client = clients.get(address);
  if (!client) {
    client = import('dockerode').then(({ default: Dockerode }) => {
      if (address.startsWith('unix://')) return new Dockerode({ socketPath: address.slice('unix://'.length) });
      const url = new URL(address.replace(/^tcp:/, 'http:'));
      return new Dockerode({ host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === 'https:' ? 'https' : 'http' });
    });
    clients.set(address, client);
  }
  return client;
}

/** `wharf.home`: two installations on one engine never take each other's images for their own. */
export function homeLabel(home: string): string {
  return createHash('sha256').update(home).digest('hex').slice(0, 12);
}

const cache = new WeakMap<Docker, Promise<boolean>>();

/**
 * Whether to build with BuildKit. The engine's `/_ping` says `Builder-Version: 2` (or `1`) when
 * its daemon.json sets `features.buildkit`; without the header, BuildKit is there from API 1.39
 * (Engine 18.09) on, and answers `version=2` builds without any daemon setting (checked on 20.10).
 */
export function supportsBuildkit(docker: Docker, setting: ImageBuildSettings['buildkit']): Promise<boolean> {
  if (setting !== 'auto') return Promise.resolve(setting === '1');
  let known = cache.get(docker);
  if (!known) {
    known = (async () => {
      const header = await builderVersionHeader(docker).catch(() => null);
      if (header === '2') return true;
      if (header === '1') return false;
      const version = await docker.version();
      const [major, minor] = (version.ApiVersion ?? '0.0').split('.').map(Number);
      return major! > 1 || (major === 1 && minor! >= 39);
    })();
    cache.set(docker, known);
  }
  return known;
}

/** `/_ping`'s Builder-Version header; dockerode's ping() gives only the body. */
function builderVersionHeader(docker: Docker): Promise<string | null> {
  const modem = docker.modem as unknown as { socketPath?: string; host?: string; port?: number | string; protocol?: string };
  const client = modem.protocol === 'https' ? https : http;
  const target = modem.socketPath ? { socketPath: modem.socketPath } : { host: modem.host, port: modem.port };
  return new Promise((resolve, reject) => {
    const req = client.get({ ...target, path: '/_ping', timeout: 5000 }, (res) => {
      res.resume();
      const value = res.headers['builder-version'];
      resolve(typeof value === 'string' ? value.trim() : null);
    });
    req.on('timeout', () => req.destroy(new Error('ping timed out')));
    req.on('error', reject);
  });
}
