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
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      // Only names of these lengths can matter: most headers skip the lower-casing.
      switch (name.length) {
        case 4:
          if (host === undefined && name.toLowerCase() === 'host') host = rawHeaders[i + 1];
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
          if (name.toLowerCase() === 'transfer-encoding') transferEncoding = rawHeaders[i + 1];
          break;
      }
    }
    this.host = host;
    this.contentLength = contentLength;
    this.transferEncoding = transferEncoding;
    this.connection = connection;
    this.expect = expect;
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
