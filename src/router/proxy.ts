import type { AccessLog } from './access-log.js';
import { sendError, type RouterErrorKind } from './error-pages.js';
import { upstreamHeaders } from './headers.js';
import type { IncomingRequest } from './http/request.js';
import type { OutgoingResponse, ResponseObserver } from './http/response.js';
import { normalizeHost, type LiveRoute, type RouteTableStore } from './route-table.js';
import type { Target, TargetRegistry } from './targets.js';
import type { TrafficCounter } from './traffic.js';
import type { UpstreamHandler } from './upstream.js';

// The hot path. Each request is one Exchange: an upstream handler (upstream.ts) that writes the
// upstream's response straight into the client's response (http/response.ts, no intermediate
// streams), with backpressure both ways and one passive retry when the first target cannot be
// reached.

export interface ProxyOptions {
  upstreamTimeoutMs: number;
  listenPort: number;
}

export class Proxy {
  requests = 0;

  constructor(
    readonly table: RouteTableStore,
    readonly registry: TargetRegistry,
    readonly accessLog: AccessLog,
    readonly traffic: TrafficCounter,
    readonly options: ProxyOptions,
  ) {}

  readonly handle = (req: IncomingRequest, res: OutgoingResponse): void => {
    this.requests++;
    const start = performance.now();
    const host = normalizeHost(req.host);
    const route = this.table.lookup(host);
    if (route === undefined) return this.answer(req, res, 'no-route', host, start);
    const target = route.pick();
    if (target === undefined) return this.answer(req, res, 'no-replica', host, start);
    new Exchange(this, req, res, route, host, start, null).send(target);
  };

  /**
   * The handler of the private listener on `port`: every request goes to the route that owns the
   * port in the current table, whatever its Host header says.
   */
  privateHandler(port: number): (req: IncomingRequest, res: OutgoingResponse) => void {
    return (req, res) => {
      this.requests++;
      const start = performance.now();
      const route = this.table.lookupPort(port);
      // The port left the table while this keep-alive connection was open.
      if (route === undefined) return this.answer(req, res, 'no-route', `127.0.0.1:${port}`, start, null, port);
      const target = route.pick();
      if (target === undefined) return this.answer(req, res, 'no-replica', route.host, start, null, port);
      new Exchange(this, req, res, route, route.host, start, port).send(target);
    };
  }

  /** The route a request is served by now: by Host on the public listener, by port on a private one. */
  current(host: string, privatePort: number | null): LiveRoute | undefined {
    return privatePort === null ? this.table.lookup(host) : this.table.lookupPort(privatePort);
  }

  answer(
    req: IncomingRequest,
    res: OutgoingResponse,
    kind: RouterErrorKind,
    host: string,
    start: number,
    target: Target | null = null,
    privatePort: number | null = null,
  ): void {
    const bytes = sendError(res, req.header('accept'), kind, host);
    this.record(req, res.statusCode, host, start, target, bytes, privatePort);
  }

  record(
    req: IncomingRequest,
    status: number,
    host: string,
    start: number,
    target: Target | null,
    bytesOut: number,
    privatePort: number | null = null,
  ): void {
    this.traffic.count(target, status, start, bytesOut);
    this.accessLog.write({
      host,
      method: req.method,
      url: req.url,
      status,
      durationMs: Math.round((performance.now() - start) * 10) / 10,
      target: target === null ? null : target.id,
      bytesOut,
      private: privatePort !== null,
    });
  }
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
// A kept-alive socket the app closed just as we reused it: nothing reached the app's handler.
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

class Exchange implements UpstreamHandler, ResponseObserver {
  private target!: Target;
  private attempt = 0;
  private connected = false;
  private completed = false;
  private clientGone = false;
  private bytesOut = 0;
  private abortUpstream: ((err?: Error) => void) | null = null;
  private resume: (() => void) | null = null;
  private readonly headers: string[];

  constructor(
    private readonly proxy: Proxy,
    private readonly req: IncomingRequest,
    private readonly res: OutgoingResponse,
    private readonly route: LiveRoute,
    private readonly host: string,
    private readonly start: number,
    /** Set when the request came in on a private listener. */
    private readonly privatePort: number | null,
  ) {
    this.headers = upstreamHeaders(req, { listenPort: privatePort ?? proxy.options.listenPort, keepUpgrade: false });
    res.observer = this;
  }

  send(target: Target): void {
    this.target = target;
    this.connected = false;
    this.proxy.registry.begin(target);
    // No body timeout: streams (SSE, long downloads) may stay quiet for long; the app decides when they end.
    target.getPool().dispatch(
      {
        path: this.req.url,
        method: this.req.method,
        headers: this.headers,
        host: this.req.host,
        contentLength: this.req.contentLength,
        body: this.req.body,
        headersTimeoutMs: this.proxy.options.upstreamTimeoutMs,
      },
      this,
    );
  }

  onConnect(abort: (err?: Error) => void): void {
    this.connected = true;
    this.abortUpstream = abort;
    if (this.clientGone) abort();
  }

  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true;
    this.resume = resume;
    this.res.writeHead(statusCode, statusText, rawHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytesOut += chunk.length;
    return this.res.write(chunk);
  }

  drained(): void {
    this.resume?.();
  }

  onComplete(): void {
    this.completed = true;
    this.res.end();
    this.proxy.registry.end(this.target);
    this.proxy.record(this.req, this.res.statusCode, this.host, this.start, this.target, this.bytesOut, this.privatePort);
  }

  onError(err: Error): void {
    const failed = this.target;
    this.completed = true;
    this.proxy.registry.end(failed);
    if (this.clientGone) {
      this.proxy.record(this.req, 499, this.host, this.start, failed, this.bytesOut, this.privatePort);
      return;
    }
    if (this.res.headersSent) {
      // Part of the response is out: the only honest signal left is cutting the connection.
      this.res.destroy();
      this.proxy.record(this.req, this.res.statusCode, this.host, this.start, failed, this.bytesOut, this.privatePort);
      return;
    }
    if (this.attempt === 0 && this.retryable(err)) {
      const route = this.proxy.current(this.host, this.privatePort) ?? this.route;
      const next = route.pick(failed);
      if (next !== undefined && next !== failed) {
        this.attempt = 1;
        this.completed = false;
        this.send(next);
        return;
      }
    }
    const code = (err as { code?: string }).code;
    const kind: RouterErrorKind = code === 'UND_ERR_HEADERS_TIMEOUT' ? 'timeout' : 'bad-gateway';
    this.proxy.answer(this.req, this.res, kind, this.host, this.start, failed, this.privatePort);
  }

  private retryable(err: Error): boolean {
    if (!this.connected) return true;
    const code = (err as { code?: string }).code;
    return this.req.body === null && IDEMPOTENT.has(this.req.method) && code !== undefined && STALE_SOCKET.has(code);
  }

  /** The client's response closed: before completion, the client went away. */
  clientClosed(): void {
    if (this.completed) return;
    this.clientGone = true;
    this.abortUpstream?.();
  }
}
