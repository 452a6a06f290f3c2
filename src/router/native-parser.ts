import { createRequire } from 'node:module';

// Node's own HTTP/1.1 parser (llhttp, in C++), the one behind node:http, used directly by the
// router's server side (http/connection.ts) and its client to the apps (upstream.ts). Reaching
// it through `_http_common` is what node:http itself does; it has kept this shape since Node 12.

const require = createRequire(import.meta.url);

export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error | undefined;
  /** Reads the stream handle's data in C++, calling kOnExecute after each read. */
  consume(handle: unknown): void;
  unconsume(): void;
  /** The buffer of the read being executed (in consume mode). */
  getCurrentBuffer(): Buffer;
  close(): void;
  [key: number]: unknown;
}

export interface NativeParserClass {
  new (): NativeParser;
  REQUEST: number;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  kLenientNone: number;
}

/** llhttp error codes arrive on the Error returned by execute(). */
export type ParserError = Error & { code?: string; bytesParsed?: number };

const common = require('_http_common') as { HTTPParser: NativeParserClass; methods: string[] };

const HTTPParser = common.HTTPParser;
/** kOnHeadersComplete gives a request's method as an index into this list. */
export const METHODS: readonly string[] = common.methods;

/** The callbacks a parser calls; header strings arrive latin1-decoded, as on the wire. */
export interface ParserCallbacks {
  /** Header pairs (and the URL so far) of a head too long for one kOnHeadersComplete call. */
  onHeaders(headers: string[], url: string): void;
  onHeadersComplete(
    major: number,
    minor: number,
    headers: string[] | undefined,
    method: number,
    url: string | undefined,
    statusCode: number,
    statusMessage: string,
    upgrade: boolean,
    shouldKeepAlive: boolean,
  ): number;
  onBody(chunk: Buffer): void;
  onMessageComplete(): void;
  /** Only in consume mode: after each read the parser executed itself. */
  onExecute?(ret: number | ParserError): void;
}

/** A parser for requests (`kind` 'request') or responses, strict (no lenient flags). */
export function createParser(kind: 'request' | 'response', callbacks: ParserCallbacks): NativeParser {
  const parser = new HTTPParser();
  parser.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, 0, HTTPParser.kLenientNone);
  parser[HTTPParser.kOnHeaders] = callbacks.onHeaders;
  parser[HTTPParser.kOnHeadersComplete] = callbacks.onHeadersComplete;
  parser[HTTPParser.kOnBody] = callbacks.onBody;
  parser[HTTPParser.kOnMessageComplete] = callbacks.onMessageComplete;
  if (callbacks.onExecute !== undefined) parser[HTTPParser.kOnExecute] = callbacks.onExecute;
  return parser;
}
