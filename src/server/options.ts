import { createHash } from 'node:crypto';
import { machineFacts, wharfHome, wharfPaths, type WharfPaths } from '../core/paths.js';
import { isolationOptionsFromEnv, type IsolationOptions } from './isolation/isolation.js';
import { runtimeFromEnv } from './runtimes/select.js';
import type { RuntimeName } from '../core/artifact.js';

// Everything the control plane can be told at start, from the environment, resolved once.

export interface ServerOptions {
  readonly paths: WharfPaths;
  readonly apiHost: string;
  readonly apiPort: number;
  readonly routerHost: string;
  readonly routerPort: number;
  /**
   * `{service}`, `{environment}`, `{project}` and `{base}` are replaced. The default names all
   * three, so services of the same name in two projects never share a host.
   */
  readonly hostPattern: string;
  readonly baseDomain: string;
  /** How long the router waits for in-flight requests on old replicas before they are stopped. */
  readonly drainTimeoutMs: number;
  /** Built releases kept per service instance, so rollback never rebuilds. */
  readonly keepArtifacts: number;
  readonly reconcileIntervalMs: number;
  /** Where services' private ports come from (the router's private listeners). */
  readonly privatePorts: { first: number; last: number };
  /** Where and as whom apps run (src/server/isolation/). */
  readonly isolation: IsolationOptions;
  /** The runtime a project without its own `runtime` key builds and runs on (WHARF_RUNTIME). */
  readonly runtime: RuntimeName;
  /** The Docker Engine the docker runtime talks to (WHARF_DOCKER_HOST), e.g. unix:///var/run/docker.sock. */
  readonly dockerHost: string;
}

function portRange(raw: string | undefined): { first: number; last: number } {
  const match = /^(\d+)-(\d+)$/.exec(raw ?? '20000-29999');
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || first < 1024 || last > 65535 || first > last) throw new Error(`WHARF_PRIVATE_PORTS must look like 20000-29999, got '${raw}'`);
  return { first, last };
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got '${raw}'`);
  return value;
}

/** Railway's shape (`web-production-…`), with the project's name where Railway puts a random tag. */
export const DEFAULT_HOST_PATTERN = '{service}-{environment}-{project}.{base}';

/** DNS allows 63 characters per label (RFC 1035); names are up to 40 each, so three may not fit. */
const MAX_LABEL = 63;

export function serverOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ServerOptions {
  const paths = wharfPaths(wharfHome(machineFacts(env)));
  return Object.freeze({
    paths,
    apiHost: env.WHARF_API_HOST ?? '127.0.0.1',
    apiPort: intFromEnv(env, 'WHARF_API_PORT', 7070),
    routerHost: env.WHARF_ROUTER_HOST ?? '127.0.0.1',
    routerPort: intFromEnv(env, 'WHARF_ROUTER_PORT', 8080),
    hostPattern: env.WHARF_HOST_PATTERN || DEFAULT_HOST_PATTERN,
    baseDomain: env.WHARF_BASE_DOMAIN ?? 'localhost',
    drainTimeoutMs: intFromEnv(env, 'WHARF_DRAIN_TIMEOUT_MS', 30_000),
    keepArtifacts: intFromEnv(env, 'WHARF_KEEP_ARTIFACTS', 10),
    reconcileIntervalMs: intFromEnv(env, 'WHARF_RECONCILE_INTERVAL_MS', 2_000),
    privatePorts: portRange(env.WHARF_PRIVATE_PORTS),
    isolation: isolationOptionsFromEnv(paths, env),
    runtime: runtimeFromEnv(env),
    dockerHost: env.WHARF_DOCKER_HOST || 'unix:///var/run/docker.sock',
  });
}

export function serviceHost(options: ServerOptions, names: { project: string; environment: string; service: string }): string {
  return options.hostPattern
    .replaceAll('{service}', names.service)
    .replaceAll('{environment}', names.environment)
    .replaceAll('{project}', names.project)
    .replaceAll('{base}', options.baseDomain)
    .toLowerCase()
    .split('.')
    .map(fitLabel)
    .join('.');
}

/**
 * A label longer than DNS allows keeps its first characters and ends in a hash of the whole, so
 * it stays valid, stable across restarts, and different from every other long label.
 */
function fitLabel(label: string): string {
  if (label.length <= MAX_LABEL) return label;
  const hash = createHash('sha256').update(label).digest('hex').slice(0, 8);
  return `${label.slice(0, MAX_LABEL - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

export function publicUrl(options: ServerOptions, host: string): string {
  return options.routerPort === 80 ? `http://${host}` : `http://${host}:${options.routerPort}`;
}
