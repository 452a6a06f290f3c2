import Dockerode from 'dockerode';
import { WharfError } from '../../../core/errors.js';

// The engine connection from WHARF_DOCKER_HOST: unix:///path/to/docker.sock or tcp://host:port.

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export function dockerFromHost(host: string = DEFAULT_DOCKER_HOST): Dockerode {
  if (host.startsWith('unix://')) return new Dockerode({ socketPath: host.slice('unix://'.length) });
  const tcp = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(host);
  if (tcp) return new Dockerode({ host: tcp[1], port: Number(tcp[2]), protocol: 'http' });
  throw new WharfError('BAD_REQUEST', `WHARF_DOCKER_HOST "${host}" is not unix:///path or tcp://host:port`, {
    hint: `Leave it unset for ${DEFAULT_DOCKER_HOST}.`,
  });
}

/** The engine's HTTP status of a failed call (404 gone, 304 already so, 409 conflict). */
export function statusCodeOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | null)?.statusCode;
}

/** Runs `op`, treating the listed engine statuses as success (e.g. stop of a stopped container). */
export async function tolerate<T>(op: Promise<T>, ...codes: number[]): Promise<T | undefined> {
  try {
    return await op;
  } catch (err) {
    if (codes.includes(statusCodeOf(err) ?? -1)) return undefined;
    throw err;
  }
}
