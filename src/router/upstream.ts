import net from 'node:net';
import type { Readable } from 'node:stream';
import { createParser, type NativeParser } from './native-parser.js';

// The router's HTTP/1.1 client to its apps: keep-alive sockets per target, requests written as
// one string, responses read by Node's own (native) HTTP parser. It does only what a reverse
// proxy needs, and costs a fraction of a general-purpose client per request: on the benchmark
// this replaced undici's Pool and cut the router's CPU per request by about a quarter.
//
// The semantics follow undici's, which the router used before: the handler's onConnect when
// the request is written on an open socket (a failure before that never reached the app), error
// codes UND_ERR_SOCKET / UND_ERR_HEADERS_TIMEOUT / UND_ERR_CONNECT_TIMEOUT / UND_ERR_ABORTED,
// idle sockets kept 4 s or what the app's Keep-Alive header allows (minus 2 s), `connection:
// close` after a HEAD, `content-length: 0` on a PUT/POST/PATCH without a body, the same header
// order (host, connection, the client's, then content-length or transfer-encoding). Unlike undici, a
// 1xx before the final response (100 Continue, 103 Early Hints) is skipped instead of failing.

export interface UpstreamRequest {
  method: string;
  path: string;
  /** Flat [name, value, ...], hop-by-hop already removed; host and content-length are taken from the fields below. */
  headers: string[];
  /** The client's Host header; the target's address when there is none (an HTTP/1.0 client). */
  host: string | undefined;
  /** The request's content-length header, if any. */
  contentLength: string | undefined;
  /** Streamed to the app; chunked when there is no content-length. */
  body: Readable | null;
  /** 0: no limit. */
  headersTimeoutMs: number;
}

export interface UpstreamHandler {
  /** The request is being written on an open socket; `abort` cuts it (onError follows). */
  onConnect(abort: (err?: Error) => void): void;
  /** Final response head (1xx are skipped). Header names and values as the app sent them. */
  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): boolean;
  /** false: stop reading from the app until `resume`. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  /** Called at most once, and never after onComplete. */
  onError(err: Error): void;
}

export interface UpstreamPoolOptions {
  host: string;
  port: number;
  keepAliveTimeoutMs: number;
  keepAliveMaxTimeoutMs: number;
  connectTimeoutMs: number;
}

const KEEP_ALIVE_THRESHOLD_MS = 2_000;
const readBuffer = Buffer.allocUnsafe(64 * 1024);
const EXPECTS_PAYLOAD = new Set(['PUT', 'POST', 'PATCH', 'QUERY', 'PROPFIND', 'PROPPATCH']);
// Written by the client itself, from the request: never copied from the header list.
const FRAMING = new Set(['host', 'content-length']);

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export class UpstreamPool {
  private readonly idle: Conn[] = [];
  private readonly all = new Set<Conn>();
  private closed = false;
  /** `host: <target>\r\n` for requests that came without one. */
  readonly hostLine: string;

  constructor(readonly options: UpstreamPoolOptions) {
    const h = options.host.includes(':') ? `[${options.host}]` : options.host;
    this.hostLine = `host: ${h}:${options.port}\r\n`;
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    if (this.closed) {
      handler.onError(new UpstreamError('the pool is closed', 'UND_ERR_CLOSED'));
      return;
    }
    let conn = this.idle.pop();
    while (conn !== undefined && conn.dead) conn = this.idle.pop();
    if (conn === undefined) {
      conn = new Conn(this);
      this.all.add(conn);
    }
    conn.start(request, handler);
  }

  /** Idle sockets close now, busy ones once their request ends. */
  close(): Promise<void> {
    this.closed = true;
    for (const c of this.idle) c.destroy();
    this.idle.length = 0;
    return Promise.resolve();
  }

  destroy(): Promise<void> {
    this.closed = true;
    for (const c of this.all) c.fail(new UpstreamError('the pool was destroyed', 'UND_ERR_DESTROYED'));
    this.idle.length = 0;
    return Promise.resolve();
  }

  /** @internal */
  release(conn: Conn): void {
    if (this.closed) conn.destroy();
    else this.idle.push(conn);
  }

  /** @internal */
  forget(conn: Conn): void {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
  }
}

class Conn {
  private readonly socket: net.Socket;
  private readonly parser: NativeParser;
  private connected = false;
  dead = false;
  private handler: UpstreamHandler | null = null;
  private request: UpstreamRequest | null = null;
  private headersDone = false;
  private informational = false;
  private reusable = false;
  private bodyDone = true;
  private idleTimeoutMs: number;
  private headersTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null;
  private pendingHeaders: string[] = [];
  private paused = false;

  constructor(private readonly pool: UpstreamPool) {
    const o = pool.options;
    this.idleTimeoutMs = o.keepAliveTimeoutMs;
    this.parser = createParser('response', {
      onHeaders: this.onParserHeaders,
      onHeadersComplete: this.onHeadersComplete,
      onBody: this.onBody,
      onMessageComplete: this.onMessageComplete,
    });
    // Reads land in one buffer shared by every upstream socket and go straight to the parser: no
    // stream events and no Buffer per read (the parser copies what it hands on as body).
    const socket = net.connect({ host: o.host, port: o.port, noDelay: true, onread: { buffer: readBuffer, callback: this.onRead } });
    this.socket = socket;
    this.connectTimer = setTimeout(this.onConnectTimeout, o.connectTimeoutMs);
    socket.once('connect', this.onSocketConnect);
    socket.on('end', this.onSocketEnd);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
    socket.on('timeout', this.onSocketTimeout);
  }

  start(request: UpstreamRequest, handler: UpstreamHandler): void {
    this.request = request;
    this.handler = handler;
    this.headersDone = false;
    this.informational = false;
    if (this.connected) this.write();
  }

  private write(): void {
    const request = this.request!;
    const handler = this.handler!;
    const method = request.method;
    const body = request.body;
    // As undici did: no reuse after a HEAD (an app may send a body anyway) or after a body on a
    // method that does not expect one.
    this.reusable = method !== 'HEAD' && (body === null || EXPECTS_PAYLOAD.has(method));
    // Host first, then connection, the other headers, and the body's framing last.
    let head = `${method} ${request.path} HTTP/1.1\r\n`;
    head += request.host === undefined ? this.pool.hostLine : `host: ${request.host}\r\n`;
    head += this.reusable ? 'connection: keep-alive\r\n' : 'connection: close\r\n';
    const h = request.headers;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]!;
      if ((name.length === 4 || name.length === 14) && FRAMING.has(name.toLowerCase())) continue;
      head += `${name}: ${h[i + 1]}\r\n`;
    }
    const chunked = body !== null && request.contentLength === undefined;
    if (body !== null) head += chunked ? 'transfer-encoding: chunked\r\n\r\n' : `content-length: ${request.contentLength}\r\n\r\n`;
    else head += EXPECTS_PAYLOAD.has(method) ? 'content-length: 0\r\n\r\n' : '\r\n';
    handler.onConnect(this.abort);
    if (this.handler !== handler) return; // aborted in onConnect
    // One timer per socket, re-armed per request: it fires `headersTimeoutMs` after this write.
    if (request.headersTimeoutMs > 0) {
      if (this.headersTimer === null) this.headersTimer = setTimeout(this.onHeadersTimeout, request.headersTimeoutMs).unref();
      else this.headersTimer.refresh();
    }
    this.socket.write(head, 'latin1');
    if (body !== null) this.pump(body, chunked);
  }

  private pump(body: Readable, chunked: boolean): void {
    this.bodyDone = false;
    // Aborted while the upstream socket was connecting (the client sent a body that does not
    // parse): its 'aborted' has been and gone, and no 'data' or 'end' will come. Waiting for them
    // held the request, and the client's connection, until the upstream timeout (found by
    // test/fuzz/router-requests.test.ts).
    if (body.destroyed && !body.readableEnded) {
      this.fail(new UpstreamError('the request body was aborted', 'UND_ERR_ABORTED'));
      return;
    }
    const socket = this.socket;
    const onData = (chunk: Buffer) => {
      let ok: boolean;
      if (chunked) {
        if (chunk.length === 0) return;
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
        socket.write(chunk);
        ok = socket.write('\r\n', 'latin1');
        socket.uncork();
      } else {
        ok = socket.write(chunk);
      }
      if (!ok) body.pause();
    };
    const onDrain = () => body.resume();
    const onEnd = () => {
      cleanup();
      this.bodyDone = true;
      if (chunked && !this.dead) socket.write('0\r\n\r\n', 'latin1');
    };
    const onFail = () => {
      cleanup();
      this.fail(new UpstreamError('the request body was aborted', 'UND_ERR_ABORTED'));
    };
    const cleanup = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onFail);
      body.off('aborted', onFail);
      socket.off('drain', onDrain);
      this.stopBody = null;
    };
    this.stopBody = cleanup;
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onFail);
    body.on('aborted', onFail);
    socket.on('drain', onDrain);
    body.resume();
  }

  private stopBody: (() => void) | null = null;

  private readonly abort = (err?: Error): void => {
    if (this.handler === null) return;
    this.fail(err ?? new UpstreamError('the request was aborted', 'UND_ERR_ABORTED'));
  };

  /** Ends the current request with an error (if any) and the socket for good. */
  fail(err: Error): void {
    const handler = this.handler;
    this.handler = null;
    this.request = null;
    this.destroy();
    if (handler !== null) handler.onError(err);
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.stopBody?.();
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    if (this.headersTimer !== null) clearTimeout(this.headersTimer);
    this.socket.destroy();
    this.pool.forget(this);
  }

  private readonly onSocketConnect = (): void => {
    this.connected = true;
    clearTimeout(this.connectTimer!);
    this.connectTimer = null;
    this.socket.setTimeout(this.idleTimeoutMs);
    if (this.handler !== null) this.write();
  };

  private readonly onConnectTimeout = (): void => {
    this.connectTimer = null;
    this.fail(new UpstreamError('connect timeout', 'UND_ERR_CONNECT_TIMEOUT'));
  };

  private readonly onHeadersTimeout = (): void => {
    // Re-armed by every request on this socket: when it fires, the current one has waited in full.
    if (this.handler === null || this.headersDone) return;
    this.fail(new UpstreamError('headers timeout', 'UND_ERR_HEADERS_TIMEOUT'));
  };

  private readonly onSocketTimeout = (): void => {
    // Activity refreshes the timer; it fires after `idleTimeoutMs` without any. Only an idle
    // socket is closed: a slow response is the headers timeout's business (or none).
    if (this.handler === null && this.bodyDone) this.destroy();
  };

  private readonly onRead = (nread: number, buffer: Uint8Array): boolean => {
    const ret = this.parser.execute((buffer as Buffer).subarray(0, nread));
    if (typeof ret !== 'number') {
      this.fail(ret);
    } else if (this.handler === null && !this.dead && ret < nread) {
      // Bytes after a complete response with nothing asked: the app misbehaves.
      this.destroy();
    }
    // Pausing is socket.pause()'s business (backpressure from the client), not this callback's.
    return true;
  };

  private readonly onSocketEnd = (): void => {
    // An app that ends its response by closing: the parser completes it now.
    if (this.handler !== null && this.headersDone) this.parser.finish();
    this.fail(new UpstreamError('other side closed', 'UND_ERR_SOCKET'));
  };

  private readonly onSocketError = (err: Error): void => {
    this.fail(err);
  };

  private readonly onSocketClose = (): void => {
    this.fail(new UpstreamError('other side closed', 'UND_ERR_SOCKET'));
    // After the stack that may still be inside the parser has unwound.
    setImmediate(closeParser, this.parser);
  };

  private readonly onParserHeaders = (headers: string[]): void => {
    for (let i = 0; i < headers.length; i++) this.pendingHeaders.push(headers[i]!);
  };

  private readonly onHeadersComplete = (
    _major: number,
    _minor: number,
    headers: string[] | undefined,
    _method: number,
    _url: string,
    statusCode: number,
    statusMessage: string,
    upgrade: boolean,
    shouldKeepAlive: boolean,
  ): number => {
    let raw = headers;
    if (raw === undefined) {
      raw = this.pendingHeaders;
      this.pendingHeaders = [];
    }
    const handler = this.handler;
    if (handler === null) return 1;
    if (statusCode < 200 && statusCode !== 101) {
      this.informational = true;
      return 0;
    }
    if (upgrade || statusCode === 101) {
      this.fail(new UpstreamError('unexpected upgrade', 'UND_ERR_SOCKET'));
      return 1;
    }
    this.headersDone = true;
    if (!shouldKeepAlive) this.reusable = false;
    else this.keepAliveHint(raw);
    handler.onHeaders(statusCode, raw, this.resume, statusMessage);
    return this.request!.method === 'HEAD' ? 1 : 0;
  };

  private keepAliveHint(raw: string[]): void {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length !== 10 || name.toLowerCase() !== 'keep-alive') continue;
      const m = /timeout=(\d+)/.exec(raw[i + 1]!);
      if (m === null) return;
      const timeout = Math.min(Number(m[1]) * 1000 - KEEP_ALIVE_THRESHOLD_MS, this.pool.options.keepAliveMaxTimeoutMs);
      if (timeout <= 0) this.reusable = false;
      else if (timeout !== this.idleTimeoutMs) {
        this.idleTimeoutMs = timeout;
        this.socket.setTimeout(timeout);
      }
      return;
    }
    if (this.idleTimeoutMs !== this.pool.options.keepAliveTimeoutMs) {
      this.idleTimeoutMs = this.pool.options.keepAliveTimeoutMs;
      this.socket.setTimeout(this.idleTimeoutMs);
    }
  }

  private readonly resume = (): void => {
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  };

  private readonly onBody = (chunk: Buffer): void => {
    const handler = this.handler;
    if (handler === null) return;
    if (handler.onData(chunk) === false && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  };

  private readonly onMessageComplete = (): void => {
    if (this.informational) {
      this.informational = false;
      return;
    }
    const handler = this.handler;
    if (handler === null) return;
    this.handler = null;
    this.request = null;
    if (this.paused) this.resume();
    handler.onComplete();
    if (this.dead) return;
    // The app answered before the whole request body reached it: the socket is in no state to reuse.
    if (this.reusable && this.bodyDone) this.pool.release(this);
    else this.destroy();
  };
}

function closeParser(parser: NativeParser): void {
  parser.close();
}
