import { STATUS_CODES } from 'node:http';
import type { IncomingRequest } from './request.js';

// A response on one client connection. The router owns its framing: the app's hop-by-hop
// headers (its Connection, Transfer-Encoding, Keep-Alive …) describe the app's socket and are
// dropped; the body goes out with the app's Content-Length when it gave one, chunked to an
// HTTP/1.1 client when it did not, and close-delimited to an HTTP/1.0 client.

/** What a response needs from its connection. */
export interface ResponseSink {
  readonly closing: boolean;
  writeHead(head: string): void;
  /** A string is latin1: framing only. */
  write(data: Buffer | string): boolean;
  writeChunk(data: Buffer): boolean;
  responseDone(res: OutgoingResponse): void;
  destroy(): void;
}

/** Told about the client's side while a response is being written. */
export interface ResponseObserver {
  /** The client can take more after write() returned false. */
  drained(): void;
  /** The client's connection closed before the response ended. */
  clientClosed(): void;
}

const enum Framing {
  None,
  Length,
  Chunked,
  Close,
}

const HOP = 1;
const LENGTH = 2;
const DATE = 3;
// RFC 9110 §7.6.1 hop-by-hop headers, plus what a response must never carry past a proxy.
const SPECIAL = new Map<string, number>([
  ['connection', HOP],
  ['keep-alive', HOP],
  ['proxy-connection', HOP],
  ['proxy-authenticate', HOP],
  ['proxy-authorization', HOP],
  ['te', HOP],
  ['trailer', HOP],
  ['transfer-encoding', HOP],
  ['upgrade', HOP],
  ['content-length', LENGTH],
  ['date', DATE],
]);
const SPECIAL_LENGTHS = new Set([...SPECIAL.keys()].map((k) => k.length));

export class OutgoingResponse {
  statusCode = 0;
  headersSent = false;
  finished = false;
  /** Whether the connection stays open after this response; settled when the head is written. */
  keepAlive: boolean;
  observer: ResponseObserver | null = null;
  private framing = Framing.Length;

  constructor(
    private readonly sink: ResponseSink,
    readonly req: IncomingRequest,
  ) {
    this.keepAlive = req.keepAlive;
  }

  /**
   * The head of a response: `headers` as [name, value, ...]; hop-by-hop names are dropped, a
   * Date is added when missing, framing and Connection are the router's.
   */
  writeHead(statusCode: number, statusText: string, headers: readonly string[]): void {
    if (this.headersSent || this.finished) return;
    this.headersSent = true;
    this.statusCode = statusCode;
    const req = this.req;
    let head = `HTTP/1.1 ${statusCode} ${statusText || STATUS_CODES[statusCode] || 'Unknown'}\r\n`;
    let hasLength = false;
    let hasDate = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const kind = SPECIAL_LENGTHS.has(name.length) ? SPECIAL.get(name.toLowerCase()) : undefined;
      if (kind === HOP) continue;
      if (kind === LENGTH) hasLength = true;
      else if (kind === DATE) hasDate = true;
      head += `${name}: ${headers[i + 1]}\r\n`;
    }
    if (!hasDate) head += `date: ${httpDate()}\r\n`;
    if (req.method === 'HEAD' || statusCode === 204 || statusCode === 304 || statusCode < 200) {
      this.framing = Framing.None;
    } else if (hasLength) {
      this.framing = Framing.Length;
    } else if (req.httpVersionMinor >= 1) {
      this.framing = Framing.Chunked;
      head += 'transfer-encoding: chunked\r\n';
    } else {
      this.framing = Framing.Close;
      this.keepAlive = false;
    }
    if (this.sink.closing) this.keepAlive = false;
    if (!this.keepAlive) head += 'connection: close\r\n\r\n';
    else head += req.httpVersionMinor === 0 ? 'connection: keep-alive\r\n\r\n' : '\r\n';
    this.sink.writeHead(head);
  }

  /** false: the client is slow; wait for the observer's drained(). */
  write(chunk: Buffer): boolean {
    if (this.finished || chunk.length === 0) return true;
    switch (this.framing) {
      case Framing.None:
        return true;
      case Framing.Chunked:
        return this.sink.writeChunk(chunk);
      default:
        return this.sink.write(chunk);
    }
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.framing === Framing.Chunked) this.sink.write('0\r\n\r\n');
    this.sink.responseDone(this);
  }

  /** A whole response of the router's own; returns the body's length in bytes (0 for HEAD). */
  respond(statusCode: number, headers: string[], body: string): number {
    const length = Buffer.byteLength(body);
    headers.push('content-length', String(length));
    this.writeHead(statusCode, '', headers);
    if (this.framing !== Framing.None && length > 0) this.sink.write(Buffer.from(body));
    this.end();
    return this.framing === Framing.None ? 0 : length;
  }

  /** Cuts the connection: the only honest signal once part of a response is out. */
  destroy(): void {
    this.finished = true;
    this.sink.destroy();
  }
}

let dateSecond = -1;
let dateText = '';

/** The Date header's value, formatted once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
