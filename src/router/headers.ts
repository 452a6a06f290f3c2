import type { IncomingRequest } from './http/request.js';

// Header rewriting for both directions. Hop-by-hop headers describe one connection and
// must not cross the proxy (RFC 9110 §7.6.1); X-Forwarded-* tell the app who really asked.

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // The router's server has already answered 100-continue to the client.
  'expect',
]);

// The router is the edge: whatever a client claims in these is replaced, not trusted.
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port']);

export interface ForwardContext {
  /** The listener's port, used when the Host header has none. */
  listenPort: number;
  /** Keep Connection/Upgrade: a raw upgrade request needs them to reach the app. */
  keepUpgrade: boolean;
}

/** Flat [name, value, ...] for the upstream client or a raw request head. */
export function upstreamHeaders(req: IncomingRequest, ctx: ForwardContext): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  const connectionTokens = ctx.keepUpgrade ? null : connectionListed(req.connection);
  let xff: string | undefined;
  let host = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    const value = raw[i + 1]!;
    if (lower === 'host') host = value;
    if (HOP_BY_HOP.has(lower)) {
      if (!(ctx.keepUpgrade && (lower === 'connection' || lower === 'upgrade'))) continue;
    } else if (FORWARDED.has(lower)) {
      if (lower === 'x-forwarded-for') xff = xff === undefined ? value : `${xff}, ${value}`;
      continue;
    } else if (connectionTokens !== null && connectionTokens.has(lower)) {
      continue;
    }
    out.push(name, value);
  }
  const client = req.remoteAddress;
  out.push(
    'x-forwarded-for',
    xff === undefined ? client : `${xff}, ${client}`,
    'x-forwarded-proto',
    'http',
    'x-forwarded-host',
    host,
    'x-forwarded-port',
    hostPort(host) ?? String(ctx.listenPort),
  );
  return out;
}

/** The raw head of an upgrade request, written as-is to the app's socket. */
export function requestHead(req: IncomingRequest, headers: string[]): string {
  let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return head + '\r\n';
}

function connectionListed(connection: string | undefined): Set<string> | null {
  if (!connection) return null;
  const tokens = connection
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive');
  return tokens.length === 0 ? null : new Set(tokens);
}

function hostPort(host: string): string | undefined {
  const bracket = host.lastIndexOf(']');
  const colon = host.lastIndexOf(':');
  if (colon === -1 || colon < bracket) return undefined;
  const port = host.slice(colon + 1);
  return /^\d{1,5}$/.test(port) ? port : undefined;
}
