import net from 'node:net';
import { Connection, type ConnectionHost } from './connection.js';
import type { IncomingRequest } from './request.js';
import type { OutgoingResponse } from './response.js';

// The router's HTTP/1.1 server, used by the public listener and each private one. It replaces
// node:http's server on the hot path: on the benchmark, node:http's IncomingMessage and
// ServerResponse streams cost more CPU per request than the rest of the proxy. It keeps what the
// router relied on there: keep-alive with an idle timeout, pipelining, 100-continue, upgrades,
// 400/431 for what cannot be parsed, and graceful closing (idle connections now, busy ones
// after their response).

export type RequestHandler = (req: IncomingRequest, res: OutgoingResponse) => void;
export type UpgradeHandler = (req: IncomingRequest, socket: net.Socket, head: Buffer) => void;

export interface HttpServerOptions {
  /** An idle connection (no request, or only part of one) is closed after this long. */
  keepAliveTimeoutMs: number;
}

export class HttpServer implements ConnectionHost {
  readonly net: net.Server;
  closing = false;
  /** Responses started and not yet ended. */
  inflight = 0;
  private readonly connections = new Set<Connection>();
  private sweep: NodeJS.Timeout | null = null;

  constructor(
    private readonly handler: RequestHandler,
    private readonly upgradeHandler: UpgradeHandler,
    private readonly options: HttpServerOptions = { keepAliveTimeoutMs: 65_000 },
  ) {
    // Half-open: a client that ends its side after a request still gets the response.
    this.net = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      if (this.closing) return void socket.destroy();
      this.connections.add(new Connection(this, socket));
      this.startSweep();
    });
  }

  listen(options: net.ListenOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      this.net.once('error', reject);
      this.net.listen(options, () => {
        this.net.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops accepting; idle connections close now, busy ones after their current response. */
  close(onClosed?: () => void): void {
    this.closing = true;
    this.net.close(() => onClosed?.());
    this.closeIdleConnections();
  }

  closeIdleConnections(): void {
    for (const conn of this.connections) if (conn.idle) conn.end();
  }

  closeAllConnections(): void {
    for (const conn of this.connections) conn.destroy();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  // ConnectionHost
  onRequest(req: IncomingRequest, res: OutgoingResponse): void {
    this.handler(req, res);
  }

  onUpgrade(req: IncomingRequest, socket: net.Socket, head: Buffer): void {
    this.upgradeHandler(req, socket, head);
  }

  responseStarted(): void {
    this.inflight++;
  }

  responseEnded(): void {
    this.inflight--;
  }

  forget(conn: Connection): void {
    this.connections.delete(conn);
    if (this.connections.size === 0 && this.sweep !== null) {
      clearInterval(this.sweep);
      this.sweep = null;
    }
  }

  // One timer for all connections instead of one per socket re-armed on every request.
  private startSweep(): void {
    if (this.sweep !== null) return;
    const timeout = this.options.keepAliveTimeoutMs;
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const conn of this.connections) {
        if ((conn.idle || conn.ending) && now - conn.idleSince >= timeout) conn.destroy();
      }
    }, Math.max(50, Math.min(5_000, Math.floor(timeout / 4))));
    this.sweep.unref();
  }
}
