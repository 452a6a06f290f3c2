import net from 'node:net';
import type { ConnectionBudget, Sheddable, SheddableSource, Verdict } from '../connection-budget.js';
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
  /** Shared by all the router's listeners; none: no limit (tests of the server alone). */
  budget?: ConnectionBudget;
  /** Whether the budget's per-address share applies (not on private listeners: every app is 127.0.0.1). */
  perAddress?: boolean;
  /** Told of accept errors (EMFILE…), which would otherwise crash the process. */
  onError?: (err: Error) => void;
}

// Sent to a connection that is not admitted, before its request is even read: a client sees a
// status it understands instead of a reset. The socket lingers briefly, reading what the client
// sends, so that closing does not reset the connection and lose the answer; only a few linger at
// once, since their descriptors are outside the budget (beyond that: answer, then close at once).
const REFUSED: Record<Exclude<Verdict, 'ok'>, string> = {
  address: refusal(429, 'Too Many Requests', 'too many connections from your address\n'),
  full: refusal(503, 'Service Unavailable', 'the server is at its connection limit, try again\n'),
};
const REFUSED_LINGER_MS = 1_000;
const MAX_LINGERING = 256;

function refusal(status: number, reason: string, body: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nretry-after: 1\r\nconnection: close\r\n\r\n${body}`;
}

export class HttpServer implements ConnectionHost, SheddableSource {
  readonly net: net.Server;
  closing = false;
  /** Responses started and not yet ended. */
  inflight = 0;
  private readonly connections = new Set<Connection>();
  private sweep: NodeJS.Timeout | null = null;
  private lingering = 0;

  constructor(
    private readonly handler: RequestHandler,
    private readonly upgradeHandler: UpgradeHandler,
    private readonly options: HttpServerOptions = { keepAliveTimeoutMs: 65_000 },
  ) {
    // Half-open: a client that ends its side after a request still gets the response.
    this.net = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      if (this.closing) return void socket.destroy();
      const verdict = this.options.budget?.admit(socket, this.options.perAddress ?? true) ?? 'ok';
      if (verdict !== 'ok') return this.refuse(socket, verdict);
      this.connections.add(new Connection(this, socket));
      this.startSweep();
    });
    const budget = this.options.budget;
    if (budget !== undefined) {
      budget.attach(this);
      this.net.once('close', () => budget.detach(this));
    }
    // After listen() its own 'error' listener is gone; an accept error must not end the router.
    this.net.on('error', (err) => {
      if (this.net.listening) this.options.onError?.(err);
    });
  }

  *idleConnections(): Iterable<Sheddable> {
    for (const conn of this.connections) if (conn.idle && !conn.ending && !conn.closed) yield conn;
  }

  private refuse(socket: net.Socket, verdict: Exclude<Verdict, 'ok'>): void {
    socket.on('error', () => undefined);
    if (this.lingering >= MAX_LINGERING) {
      // The answer is small: written to the kernel at once, it still goes out before the FIN
      // (unless the client already sent bytes, which the close then resets).
      socket.write(REFUSED[verdict]);
      return void socket.destroy();
    }
    this.lingering++;
    socket.once('close', () => this.lingering--);
    // Read (and drop) what the client sends so closing does not reset the connection.
    socket.resume();
    socket.once('end', () => socket.destroy());
    socket.setTimeout(REFUSED_LINGER_MS, () => socket.destroy());
    socket.end(REFUSED[verdict]);
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
