import type net from 'node:net';
import { HttpServer, type RequestHandler, type UpgradeHandler } from './http/server.js';

// The HTTP server both kinds of listener use (the public one and each private one): the same
// keep-alive timeout, the same handling of upgrades and of requests that cannot be parsed.

const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export function createProxyServer(onRequest: RequestHandler, onUpgrade: UpgradeHandler): HttpServer {
  return new HttpServer(onRequest, onUpgrade, { keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS });
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
