import { Readable } from 'node:stream';

// A request as the router's server hands it to the proxy: the head as the client sent it (raw
// header names and values, in order), the few headers the router acts on read once, and the
// body as a stream only when there is one (most proxied requests have none).

/** What a request body needs from its connection: more data once the consumer wants it. */
export interface BodySource {
  bodyWanted(body: RequestBody): void;
}

export class RequestBody extends Readable {
  constructor(private readonly source: BodySource) {
    super();
  }

  override _read(): void {
    this.source.bodyWanted(this);
  }

  /** The client went away (or sent garbage) before the body ended: 'aborted', then closed without an error event. */
  abort(): void {
    if (this.destroyed || this.readableEnded) return;
    this.emit('aborted');
    this.destroy();
  }
}

export class IncomingRequest {
  /** The message has been read in full; true from the start when it has no body. */
  complete: boolean;
  body: RequestBody | null = null;
  readonly host: string | undefined;
  readonly contentLength: string | undefined;
  readonly transferEncoding: string | undefined;
  /** The Connection header's value (its tokens name more hop-by-hop headers). */
  readonly connection: string | undefined;
  readonly expect: string | undefined;
  /**
   * Why the head must be refused with a 400 although it parsed (RFC 9112): a Host header that is
   * missing (HTTP/1.1), repeated or not one host, or a transfer coding other than `chunked` alone.
   * Two parsers (ours, the app's) could read such a request differently: request smuggling, or
   * routing by one Host while the app trusts another. llhttp in strict mode already refuses the
   * rest (Content-Length with Transfer-Encoding, two Content-Lengths, obs-fold, bare LF).
   */
  readonly invalid: string | null;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly httpVersionMinor: number,
    /** [name, value, ...] as received. */
    readonly rawHeaders: string[],
    /** What HTTP/1.x says of this request's connection (version and Connection header). */
    readonly keepAlive: boolean,
    readonly upgrade: boolean,
    readonly remoteAddress: string,
  ) {
    let host: string | undefined;
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    let connection: string | undefined;
    let expect: string | undefined;
    let hosts = 0;
    let codings = 0;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      // Only names of these lengths can matter: most headers skip the lower-casing.
      switch (name.length) {
        case 4:
          if (name.toLowerCase() === 'host') {
            hosts++;
            host ??= rawHeaders[i + 1];
          }
          break;
        case 6:
          if (expect === undefined && name.toLowerCase() === 'expect') expect = rawHeaders[i + 1];
          break;
        case 10:
          if (name.toLowerCase() === 'connection') connection = connection === undefined ? rawHeaders[i + 1] : `${connection}, ${rawHeaders[i + 1]}`;
          break;
        case 14:
          if (contentLength === undefined && name.toLowerCase() === 'content-length') contentLength = rawHeaders[i + 1];
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') {
            codings++;
            transferEncoding = rawHeaders[i + 1];
          }
          break;
      }
    }
    this.host = host;
    this.contentLength = contentLength;
    this.transferEncoding = transferEncoding;
    this.connection = connection;
    this.expect = expect;
    this.invalid = invalidHead(httpVersionMinor, hosts, host, codings, transferEncoding);
    this.complete = !this.hasBody;
  }

  get hasBody(): boolean {
    return (this.contentLength !== undefined && this.contentLength !== '0') || this.transferEncoding !== undefined;
  }

  /** The first value of a header, by case-insensitive name. */
  header(name: string): string | undefined {
    const raw = this.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) return raw[i + 1];
    }
    return undefined;
  }
}

// A host as RFC 3986 writes it, with an optional port: no list, no whitespace, no userinfo.
const HOST = /^(?:\[[0-9A-Za-z:.%]+\]|[A-Za-z0-9._~!$&'()*+;=%-]*)(?::[0-9]*)?$/;

function invalidHead(minor: number, hosts: number, host: string | undefined, codings: number, transferEncoding: string | undefined): string | null {
  if (hosts > 1) return 'more than one Host header';
  if (host === undefined ? minor >= 1 : !HOST.test(host)) return host === undefined ? 'no Host header' : 'a Host header that is not one host';
  // The router decodes `chunked` only; any other coding (or `chunked` twice) is a body whose
  // length it cannot know, and forwarding it would let the app frame it differently.
  if (transferEncoding !== undefined && (codings > 1 || transferEncoding.trim().toLowerCase() !== 'chunked')) return 'a transfer coding other than chunked';
  return null;
}
