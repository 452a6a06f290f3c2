import type net from 'node:net';
import { createParser, METHODS, type NativeParser, type ParserError } from '../native-parser.js';
import { Output } from './output.js';
import { IncomingRequest, RequestBody, type BodySource } from './request.js';
import { OutgoingResponse, type ResponseSink } from './response.js';

// One client connection of the router's HTTP/1.1 server. Node's native parser reads the
// socket in C++ (`consume`, as node:http does), so a request costs no stream events and no
// intermediate objects. Requests are answered one at a time in order: pipelined ones wait in a
// short queue (reading stops when it is full), a request body is a stream with backpressure
// down to the socket, and an upgrade hands the raw socket over once earlier responses are out.

/** What the connection needs from its server. */
export interface ConnectionHost {
  readonly closing: boolean;
  onRequest(req: IncomingRequest, res: OutgoingResponse): void;
  onUpgrade(req: IncomingRequest, socket: net.Socket, head: Buffer): void;
  responseStarted(): void;
  responseEnded(): void;
  forget(conn: Connection): void;
}

interface StreamHandle {
  isStreamBase?: boolean;
  _consumed?: boolean;
  readStart(): number;
  readStop(): number;
}

const MAX_QUEUED = 16;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

export class Connection implements BodySource, ResponseSink {
  private readonly parser: NativeParser;
  private consumed = false;
  private detached = false;
  /** The request whose message the parser is reading; its body may still be arriving. */
  private parsing: IncomingRequest | null = null;
  private active: OutgoingResponse | null = null;
  private readonly queue: IncomingRequest[] = [];
  private pendingHeaders: string[] = [];
  private pendingUrl = '';
  private upgradeRequest: IncomingRequest | null = null;
  private upgradeHead: Buffer | null = null;
  /** Status to answer once earlier responses are out, after the client sent something unparsable. */
  private failure = 0;
  private draining = false;
  private bodyFull = false;
  private queueFull = false;
  private reading = true;
  private readonly output: Output;
  ending = false;
  closed = false;
  /** Date.now() when the connection last became idle (or started ending). */
  idleSince = Date.now();
  readonly remoteAddress: string;

  constructor(
    private readonly host: ConnectionHost,
    readonly socket: net.Socket,
  ) {
    this.remoteAddress = clientAddress(socket.remoteAddress);
    this.parser = createParser('request', {
      onHeaders: this.onParserHeaders,
      onHeadersComplete: this.onHeadersComplete,
      onBody: this.onBody,
      onMessageComplete: this.onMessageComplete,
      onExecute: this.onExecute,
    });
    this.output = new Output(socket);
    socket.setNoDelay(true);
    // Without `consume` (a socket that is not a plain stream handle), reads come as 'data'.
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', ignore);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
    const handle = this.handle();
    if (handle?.isStreamBase === true && handle._consumed !== true) {
      handle._consumed = true;
      this.parser.consume(handle);
      this.consumed = true;
    }
  }

  get closing(): boolean {
    return this.host.closing;
  }

  /** No request in progress or waiting: safe to close without cutting anything. */
  get idle(): boolean {
    return this.active === null && this.queue.length === 0 && this.parsing === null;
  }

  // ── the parser's callbacks ──────────────────────────────────────────────────────────────

  private readonly onParserHeaders = (headers: string[], url: string): void => {
    for (let i = 0; i < headers.length; i++) this.pendingHeaders.push(headers[i]!);
    this.pendingUrl += url;
  };

  private readonly onHeadersComplete = (
    _major: number,
    minor: number,
    headers: string[] | undefined,
    method: number,
    url: string | undefined,
    _statusCode: number,
    _statusMessage: string,
    upgrade: boolean,
    shouldKeepAlive: boolean,
  ): number => {
    if (headers === undefined) {
      headers = this.pendingHeaders;
      this.pendingHeaders = [];
    }
    if (!url) {
      url = this.pendingUrl;
      this.pendingUrl = '';
    }
    // After a refused head, nothing more of this connection is read as a request.
    if (this.ending || this.closed || this.failure !== 0) return 0;
    const name = METHODS[method] ?? '';
    // An HTTP/2 connection preface: this server speaks HTTP/1.1 only.
    if (name === 'PRI') {
      this.destroy();
      return 0;
    }
    const req = new IncomingRequest(name, url, minor, headers, shouldKeepAlive, upgrade, this.remoteAddress);
    if (req.invalid !== null) {
      // Answered like bytes that do not parse (afterExecute stops reading once the parser returns).
      this.failure = 400;
      return 0;
    }
    if (upgrade) {
      this.upgradeRequest = req;
      return 0;
    }
    this.parsing = req;
    if (req.hasBody) req.body = new RequestBody(this);
    if (this.active === null && this.queue.length === 0) {
      this.dispatch(req);
    } else {
      this.queue.push(req);
      if (this.queue.length >= MAX_QUEUED) {
        this.queueFull = true;
        this.updateReading();
      }
    }
    return 0;
  };

  private readonly onBody = (chunk: Buffer): void => {
    const body = this.parsing?.body;
    if (body === undefined || body === null || body.destroyed) return;
    if (!body.push(chunk) && !this.bodyFull) {
      this.bodyFull = true;
      this.updateReading();
    }
  };

  private readonly onMessageComplete = (): void => {
    const req = this.parsing;
    if (req === null) return;
    this.parsing = null;
    req.complete = true;
    req.body?.push(null);
  };

  private readonly onExecute = (ret: number | ParserError): void => {
    this.afterExecute(ret, null);
  };

  private readonly onData = (data: Buffer): void => {
    if (this.detached) return;
    this.afterExecute(this.parser.execute(data), data);
  };

  private afterExecute(ret: number | ParserError, data: Buffer | null): void {
    if (typeof ret !== 'number') {
      this.parseFailed(ret);
      return;
    }
    if (this.failure !== 0 && !this.detached) {
      this.refuse(this.failure);
      return;
    }
    if (this.upgradeRequest !== null && this.upgradeHead === null) {
      // The parser stops at the end of an upgrade's head; what follows is the new protocol's.
      const buffer = data ?? this.parser.getCurrentBuffer();
      this.upgradeHead = Buffer.from(buffer.subarray(ret));
      this.detach();
      if (this.active === null && this.queue.length === 0) this.becameIdle();
    }
  }

  private parseFailed(err: ParserError): void {
    const code = err.code;
    this.refuse(code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400);
  }

  /** Stops reading requests; `status` is answered (and the connection closed) after earlier responses. */
  private refuse(status: number): void {
    if (this.closed || this.ending) return;
    this.failure = status;
    this.abortParsing();
    this.detach();
    if (this.active === null && this.queue.length === 0) this.becameIdle();
  }

  // ── requests and responses ──────────────────────────────────────────────────────────────

  private dispatch(req: IncomingRequest): void {
    const res = new OutgoingResponse(this, req);
    this.active = res;
    this.host.responseStarted();
    const expect = req.expect;
    if (expect !== undefined) {
      if (req.httpVersionMinor >= 1 && expect.toLowerCase() === '100-continue') {
        this.output.text(CONTINUE);
      } else {
        res.keepAlive = false;
        res.respond(417, [], '');
        return;
      }
    }
    this.host.onRequest(req, res);
  }

  writeHead(head: string): void {
    if (!this.closed) this.output.text(head);
  }

  write(data: Buffer | string): boolean {
    if (this.closed) return true;
    return typeof data === 'string' ? this.output.text(data) : this.output.bytesOf(data);
  }

  writeChunk(data: Buffer): boolean {
    if (this.closed) return true;
    this.output.text(`${data.length.toString(16)}\r\n`);
    this.output.bytesOf(data);
    return this.output.text('\r\n');
  }

  responseDone(res: OutgoingResponse): void {
    if (this.active !== res) return;
    this.active = null;
    this.host.responseEnded();
    // A body the app did not wait for is still arriving: the connection cannot carry another request.
    if (!res.keepAlive || !res.req.complete) {
      this.end();
      return;
    }
    this.drainQueue();
  }

  private drainQueue(): void {
    if (this.draining) return;
    this.draining = true;
    while (this.active === null && !this.closed && !this.ending) {
      const next = this.queue.shift();
      if (next === undefined) break;
      this.dispatch(next);
    }
    this.draining = false;
    if (this.closed || this.ending) return;
    if (this.queueFull && this.queue.length < MAX_QUEUED) {
      this.queueFull = false;
      this.updateReading();
    }
    if (this.active === null && this.queue.length === 0) this.becameIdle();
  }

  private becameIdle(): void {
    this.idleSince = Date.now();
    if (this.upgradeRequest !== null && this.upgradeHead !== null) {
      this.handOver(this.upgradeRequest, this.upgradeHead);
      return;
    }
    if (this.failure !== 0) {
      const status = this.failure;
      this.failure = 0;
      const res = new OutgoingResponse(this, new IncomingRequest('GET', '/', 1, [], false, false, this.remoteAddress));
      this.active = res;
      this.host.responseStarted();
      res.respond(status, [], '');
      return;
    }
    if (this.host.closing) this.end();
  }

  private handOver(req: IncomingRequest, head: Buffer): void {
    this.upgradeRequest = null;
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('error', ignore);
    socket.off('close', this.onClose);
    socket.off('drain', this.onDrain);
    this.host.forget(this);
    setImmediate(closeParser, this.parser);
    this.output.flush();
    // CONNECT asks for a tunnel anywhere: the router only forwards to its apps.
    if (req.method === 'CONNECT') {
      socket.destroy();
      return;
    }
    this.host.onUpgrade(req, socket, head);
  }

  // ── reading, ending, closing ────────────────────────────────────────────────────────────

  bodyWanted(body: RequestBody): void {
    if (this.parsing?.body !== body || !this.bodyFull) return;
    this.bodyFull = false;
    this.updateReading();
  }

  private updateReading(): void {
    if (this.detached || this.closed || this.ending) return;
    const want = !this.bodyFull && !this.queueFull;
    if (want === this.reading) return;
    this.reading = want;
    const handle = this.handle();
    if (this.consumed && handle !== undefined) {
      if (want) handle.readStart();
      else handle.readStop();
    } else if (want) {
      this.socket.resume();
    } else {
      this.socket.pause();
    }
  }

  private stopReading(): void {
    if (!this.reading) return;
    this.reading = false;
    const handle = this.handle();
    if (this.consumed && handle !== undefined) handle.readStop();
    else this.socket.pause();
  }

  /**
   * Stops feeding the parser: after an upgrade's head, or after bytes it could not parse. Only
   * once the parser has returned (never from inside one of its callbacks).
   */
  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    if (this.consumed) {
      this.consumed = false;
      // Back to the state node:net expects of its handle (reading), then to node:net's own reads.
      if (!this.reading) this.handle()?.readStart();
      this.parser.unconsume();
    }
    // Later bytes wait in the socket (an upgrade's) or are ignored (garbage).
    this.reading = false;
    this.socket.pause();
  }

  private abortParsing(): void {
    const req = this.parsing;
    if (req === null) return;
    this.parsing = null;
    req.body?.abort();
    const i = this.queue.indexOf(req);
    if (i !== -1) this.queue.splice(i, 1);
  }

  /**
   * Closes once what was written is out (Node's destroySoon). May run inside a parser callback,
   * so it only stops reading; the parser lets go of the socket when it closes.
   */
  end(): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    this.idleSince = Date.now();
    this.abortParsing();
    for (const req of this.queue) req.body?.abort();
    this.queue.length = 0;
    this.stopReading();
    this.output.flush();
    this.socket.destroySoon();
  }

  destroy(): void {
    this.socket.destroy();
  }

  // The client closed its side. As with node:http's default, that ends what it asked for: a
  // client that hangs up must free its upstream request at once (most clients that close do so
  // because they gave up, very few half-close and wait).
  private readonly onEnd = (): void => {
    const res = this.active;
    if (res !== null && !res.finished) {
      this.active = null;
      this.host.responseEnded();
      res.finished = true;
      res.observer?.clientClosed();
    }
    this.end();
  };

  private readonly onDrain = (): void => {
    this.output.drained();
    this.active?.observer?.drained();
  };

  private readonly onClose = (): void => {
    this.closed = true;
    this.host.forget(this);
    const res = this.active;
    this.active = null;
    if (res !== null) {
      this.host.responseEnded();
      if (!res.finished) res.observer?.clientClosed();
    }
    this.abortParsing();
    for (const req of this.queue) req.body?.abort();
    this.queue.length = 0;
    if (this.consumed) {
      this.consumed = false;
      this.parser.unconsume();
    }
    // After the stack that may still be inside the parser has unwound.
    setImmediate(closeParser, this.parser);
  };

  private handle(): StreamHandle | undefined {
    return (this.socket as unknown as { _handle?: StreamHandle })._handle;
  }
}

function closeParser(parser: NativeParser): void {
  parser.close();
}

function ignore(): void {}

function clientAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
