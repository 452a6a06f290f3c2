import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { z } from 'zod';
import { drainRequestSchema, routeTableSchema, type RouterStats } from '../core/routes.js';
import type { ConnectionBudget } from './connection-budget.js';
import { drain } from './drain.js';
import type { PrivateListeners } from './private.js';
import type { Proxy } from './proxy.js';
import { duplicatePrivatePorts, type RouteTableStore } from './route-table.js';
import type { TargetRegistry } from './targets.js';

// The control plane's handle on the router, on a unix socket only it can open (mode 0600).
// Small enough that a framework would be most of the code.

export interface AdminDeps {
  table: RouteTableStore;
  registry: TargetRegistry;
  proxy: Proxy;
  privateListeners: PrivateListeners;
  budget: ConnectionBudget;
  version: string;
  /** Where the public listener is, so a caller can tell a router started with other settings. */
  listen: { host: string; port: number };
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function createAdminServer(deps: AdminDeps): http.Server {
  return http.createServer((req, res) => {
    route(deps, req, res).catch((err: unknown) => {
      const e =
        err instanceof HttpError
          ? err
          : new HttpError(500, 'INTERNAL', err instanceof Error ? err.message : String(err), 'See the router log.');
      send(res, e.status, { error: { code: e.code, message: e.message, hint: e.hint } });
    });
  });
}

async function route(deps: AdminDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const key = `${req.method} ${path}`;
  switch (key) {
    case 'GET /health':
      return send(res, 200, {
        ok: true,
        pid: process.pid,
        version: deps.version,
        tableVersion: deps.table.version,
        listen: deps.listen,
        privatePorts: deps.privateListeners.ports(),
        privateErrors: deps.privateListeners.errors(),
      });
    case 'GET /routes':
      return send(res, 200, deps.table.table);
    case 'PUT /routes': {
      const table = parse(routeTableSchema, await readJson(req));
      if (table.version < deps.table.version) {
        throw new HttpError(
          409,
          'CONFLICT',
          `route table version ${table.version} is older than the live version ${deps.table.version}`,
          'Another writer already installed a newer table; rebuild the table from current state and PUT it again.',
        );
      }
      const duplicates = duplicatePrivatePorts(table);
      if (duplicates.length > 0) {
        const list = duplicates.map((d) => `${d.port} (${d.hosts.join(', ')})`).join('; ');
        throw new HttpError(
          400,
          'BAD_REQUEST',
          `a private port is listed by more than one route: ${list}`,
          'Each route needs a private port of its own; the live table was left unchanged.',
        );
      }
      deps.table.swap(table);
      // New private ports are bound before the answer, so a caller can use them once PUT returns.
      await deps.privateListeners.sync();
      try {
        await deps.table.persist();
      } catch (err) {
        throw new HttpError(
          500,
          'RUNTIME_ERROR',
          `the table is live but could not be saved: ${(err as Error).message}`,
          'A restarted router would serve the previous table; check free disk space and permissions of WHARF_HOME.',
        );
      }
      return send(res, 200, { ok: true, version: table.version, privateErrors: deps.privateListeners.errors() });
    }
    case 'POST /drain': {
      const request = parse(drainRequestSchema, await readJson(req));
      return send(res, 200, await drain(deps.registry, request));
    }
    case 'GET /stats': {
      const stats: RouterStats = {
        version: deps.table.version,
        requests: deps.proxy.requests,
        targets: deps.registry.stats(),
        connections: deps.budget.stats(),
      };
      return send(res, 200, stats);
    }
    default:
      throw new HttpError(404, 'NOT_FOUND', `no admin endpoint ${key}`, 'Endpoints: GET /health, GET|PUT /routes, POST /drain, GET /stats.');
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const detail = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
  throw new HttpError(400, 'BAD_REQUEST', `invalid body: ${detail}`, 'The body must match the schemas in src/core/routes.ts.');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(400, 'BAD_REQUEST', 'body too large', `At most ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'body is not valid JSON', 'Send a JSON document with content-type application/json.');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
