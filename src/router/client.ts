import { Agent, request } from 'undici';
import { WharfError } from '../core/errors.js';
import type { DrainRequest, DrainResult, RouteTable, RouterStats } from '../core/routes.js';

// How the control plane talks to the router: JSON over the router's admin unix socket.

export interface RouterHealth {
  ok: boolean;
  pid: number;
  version?: string;
  tableVersion?: number;
  listen?: { host: string; port: number };
  /** Private ports being served (127.0.0.1). */
  privatePorts?: number[];
  /** Private ports in the table the router could not bind (e.g. another program has them). */
  privateErrors?: PrivateListenerError[];
}

export interface PrivateListenerError {
  host: string;
  port: number;
  error: string;
}

export interface PutRoutesResult {
  ok: boolean;
  version: number;
  /** As in health(): the table is live, but these private ports are not served. */
  privateErrors?: PrivateListenerError[];
}

/**
 * What answers on the admin socket: the router (`up`), nothing (`gone`: no socket file, or
 * nobody accepting on it), or something that took the connection but gave no healthy answer in
 * time (`busy`: a router short of descriptors, stopped, or swamped, which must not be replaced).
 */
export type RouterProbe = { state: 'up'; health: RouterHealth } | { state: 'busy'; reason: string } | { state: 'gone'; reason: string };

const GONE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK']);

const HINT = 'Is the router running? `wharf server` starts it; its log is in <WHARF_HOME>/logs/router/router.log.';

export class RouterClient {
  private readonly agent: Agent;

  constructor(readonly socketPath: string) {
    this.agent = new Agent({ connect: { socketPath }, keepAliveTimeout: 2_000 });
  }

  /** null when nothing answers on the socket. */
  async health(): Promise<RouterHealth | null> {
    try {
      const res = await request('http://router/health', { dispatcher: this.agent, headersTimeout: 2_000, bodyTimeout: 2_000 });
      const body = (await res.body.json()) as RouterHealth;
      return res.statusCode === 200 && body.ok === true ? body : null;
    } catch {
      return null;
    }
  }

  async probe(timeoutMs = 2_000): Promise<RouterProbe> {
    try {
      const res = await request('http://router/health', { dispatcher: this.agent, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      const text = await res.body.text();
      const body = res.statusCode === 200 ? (JSON.parse(text) as RouterHealth) : null;
      if (body?.ok === true) return { state: 'up', health: body };
      return { state: 'busy', reason: `health answered HTTP ${res.statusCode}` };
    } catch (err) {
      const code = errorCode(err);
      if (code !== undefined && GONE_CODES.has(code)) return { state: 'gone', reason: code };
      return { state: 'busy', reason: code ?? (err as Error).message };
    }
  }

  getRoutes(): Promise<RouteTable> {
    return this.call<RouteTable>('GET', '/routes');
  }

  /** Resolves once the table is live and its new private ports are bound (or reported as errors). */
  putRoutes(table: RouteTable): Promise<PutRoutesResult> {
    return this.call<PutRoutesResult>('PUT', '/routes', table);
  }

  drain(req: DrainRequest): Promise<DrainResult> {
    // The router holds the answer until the drain ends: allow for that plus a margin.
    return this.call<DrainResult>('POST', '/drain', req, req.timeoutMs + 10_000);
  }

  stats(): Promise<RouterStats> {
    return this.call<RouterStats>('GET', '/stats');
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async call<T>(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown, timeoutMs = 10_000): Promise<T> {
    let status: number;
    let parsed: unknown;
    try {
      const res = await request(`http://router${path}`, {
        method,
        dispatcher: this.agent,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = res.statusCode;
      const text = await res.body.text();
      parsed = text === '' ? null : JSON.parse(text);
    } catch (err) {
      throw new WharfError('RUNTIME_ERROR', `the router did not answer ${method} ${path}: ${(err as Error).message}`, {
        hint: HINT,
        cause: err,
        details: { socketPath: this.socketPath },
      });
    }
    if (status >= 200 && status < 300) return parsed as T;
    const error = (parsed as { error?: { code?: string; message?: string; hint?: string } } | null)?.error;
    throw new WharfError('RUNTIME_ERROR', `the router refused ${method} ${path}: ${error?.message ?? `HTTP ${status}`}`, {
      hint: error?.hint ?? HINT,
      details: { status, code: error?.code },
    });
  }
}

function errorCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string' && !e.code.startsWith('UND_ERR_SOCKET')) return e.code;
  }
  return undefined;
}
