import type net from 'node:net';
import type { ConnectionBudget } from './connection-budget.js';
import { HttpServer, type RequestHandler, type UpgradeHandler } from './http/server.js';

// The HTTP server both kinds of listener use (the public one and each private one): the same
// keep-alive timeout, the same handling of upgrades and of requests that cannot be parsed, and
// one connection budget for all of them.

const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface ProxyServerOptions {
  budget?: ConnectionBudget;
  /** The budget's per-address share applies (the public listener); private ones count the total only. */
  perAddress?: boolean;
  onError?: (err: Error) => void;
}

export function createProxyServer(onRequest: RequestHandler, onUpgrade: UpgradeHandler, options: ProxyServerOptions = {}): HttpServer {
  return new HttpServer(onRequest, onUpgrade, { keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS, ...options });
}

export function listen(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
