import http from 'node:http';
import type { Duplex } from 'node:stream';
import type net from 'node:net';

// The HTTP server both kinds of listener use (the public one and each private one): the same
// keep-alive and timeout settings, and the same answer to a request Node cannot parse.

export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

export function createProxyServer(onRequest: http.RequestListener, onUpgrade: UpgradeHandler): http.Server {
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, onRequest);
  server.on('upgrade', onUpgrade);
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  return server;
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
