import { z } from 'zod';
import { nameSchema } from './api.js';
import { WharfError } from './errors.js';

// Log drains: where a project's log lines are forwarded (an HTTP endpoint taking batches of
// JSON lines, or a syslog server over TCP, TLS or UDP). The URL, headers and token are checked
// here, once, by the CLI and again by the server; what is shown of them never holds a secret.

export const DRAIN_TRANSPORTS = ['http', 'syslog+tcp', 'syslog+tls', 'syslog+udp'] as const;
export type DrainTransport = (typeof DRAIN_TRANSPORTS)[number];

/** RFC 5424 facilities a drain may use (user is the default). */
export const SYSLOG_FACILITIES = {
  user: 1,
  daemon: 3,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;
const FACILITY_NAMES = Object.keys(SYSLOG_FACILITIES) as [SyslogFacility, ...SyslogFacility[]];

/** Where a drain sends, secrets included: stored encrypted, never shown. */
export interface DrainTarget {
  transport: DrainTransport;
  /** The URL as given (http: may hold user:password, sent as Basic auth). */
  url: string;
  host: string;
  port: number;
  /** Extra HTTP headers (an API key, a bearer token). */
  headers: Record<string, string>;
  /** Syslog: a token sent in every message's structured data. */
  token: string | null;
  facility: SyslogFacility;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'syslog+tcp:': 514, 'syslog+udp:': 514, 'syslog+tls:': 6514 };
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
/** Headers Wharf sets itself (or HTTP does): a drain may not replace them. */
const RESERVED_HEADERS = new Set(['host', 'content-type', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect']);
const MAX_HEADERS = 20;
const HOSTNAME = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-_]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-_]{0,61}[A-Za-z0-9])?)*\.?)$/;
const EXAMPLES = 'e.g. https://http-intake.logs.datadoghq.com/api/v2/logs, syslog+tls://logs.papertrailapp.com:12345 or syslog+udp://10.0.0.5:514';

function bad(message: string, hint = `Give a drain URL, ${EXAMPLES}.`): WharfError {
  return new WharfError('BAD_REQUEST', message, { hint });
}

/** A URL as it may be shown: no user:password, no query values. */
export function redactDrainUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '(not a URL)';
  }
  const auth = url.username || url.password ? '***@' : '';
  const query = url.search ? `?${[...url.searchParams.keys()].map((k) => `${k}=***`).join('&')}` : '';
  const pathname = url.pathname === '/' && !raw.replace(/[?#].*$/, '').endsWith('/') ? '' : url.pathname;
  return `${url.protocol}//${auth}${url.host}${pathname}${query}`;
}

/** `Name: value` (the CLI's --header) → [name, value]. */
export function parseHeaderFlag(text: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw bad(`--header '${text.length > 40 ? `${text.slice(0, 40)}…` : text}' is not 'Name: value'`, "Write it as --header 'DD-API-KEY: <key>' or --header 'Authorization: Bearer <token>'.");
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}

export function checkHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw bad(`header name '${name.slice(0, 100)}' is not valid`, 'Header names are letters, digits and - (like DD-API-KEY or Authorization).');
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) throw bad(`header '${name}' is set by Wharf and cannot be given`, 'Give headers such as Authorization or DD-API-KEY.');
    if (seen.has(lower)) throw bad(`header '${name}' is given twice`);
    seen.add(lower);
    // The value is a secret: never echo it back.
    if (/[\r\n\0]/.test(value) || value.length > 4000) throw bad(`the value of header '${name}' has a line break or is longer than 4000 characters`);
    out[name] = value;
  }
  if (seen.size > MAX_HEADERS) throw bad(`a drain takes at most ${MAX_HEADERS} headers`);
  return out;
}

/** Validates a drain's URL and options into where it sends. Throws WharfError BAD_REQUEST with a hint. */
export function parseDrainTarget(input: { url: string; headers?: Record<string, string>; token?: string; facility?: string }): DrainTarget {
  let url: URL;
  try {
    url = new URL(input.url.trim());
  } catch {
    throw bad(`'${redactDrainUrl(input.url)}' is not a URL`);
  }
  const shown = redactDrainUrl(url.toString());
  const scheme = url.protocol;
  if (!(scheme in DEFAULT_PORTS)) throw bad(`a drain URL must start with https://, http://, syslog+tls://, syslog+tcp:// or syslog+udp://, not ${scheme}//`);
  const transport: DrainTransport = scheme === 'http:' || scheme === 'https:' ? 'http' : (scheme.slice(0, -1) as DrainTransport);
  const host = url.hostname;
  if (!host || host.length > 253 || !HOSTNAME.test(host)) throw bad(`the drain URL ${shown} has no valid host`);
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[scheme]!;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`the drain URL ${shown} has port ${url.port}, outside 1-65535`);
  if (url.hash) throw bad(`the drain URL ${shown} has a #fragment`, 'Leave out the part from # on.');
  const headers = checkHeaders(input.headers ?? {});
  if (input.facility !== undefined && !(input.facility in SYSLOG_FACILITIES)) {
    throw bad(`unknown syslog facility '${input.facility.slice(0, 20)}'`, `Facilities: ${FACILITY_NAMES.join(', ')}.`);
  }
  const facility = (input.facility ?? 'user') as SyslogFacility;
  if (transport === 'http') {
    if (input.token !== undefined) throw bad('--token is for syslog drains', "For HTTP drains give the token as a header: --header 'Authorization: Bearer <token>'.");
    if (input.facility !== undefined) throw bad('--facility is for syslog drains');
  } else {
    if (Object.keys(headers).length > 0) throw bad('headers are for HTTP drains', 'A syslog drain takes --token, sent in the structured data of every message.');
    if (url.username || url.password) throw bad(`the syslog drain URL ${shown} has a user or password`, 'Give a token with --token instead.');
    if ((url.pathname !== '' && url.pathname !== '/') || url.search) throw bad(`the syslog drain URL ${shown} has a path or query`, 'Write it as syslog+tls://host:port.');
    if (input.token !== undefined && (input.token === '' || /[^\x20-\x7e]/.test(input.token) || input.token.length > 500)) {
      throw bad('the syslog token must be 1-500 printable ASCII characters');
    }
  }
  return { transport, url: url.toString(), host: host.replace(/^\[(.*)\]$/, '$1'), port, headers, token: input.token ?? null, facility };
}

// ---- API shapes ----

export const createDrainBody = z
  .object({
    url: z.string().min(1).max(2000),
    /** Only this environment's lines (default: every environment). */
    environment: nameSchema.optional(),
    /** Only this service's lines (default: every service). */
    service: nameSchema.optional(),
    /** HTTP drains: extra headers, e.g. {"DD-API-KEY": "…"}; stored encrypted, never shown. */
    headers: z.record(z.string().max(100), z.string().max(4000)).optional(),
    /** Syslog drains: a token sent in each message's structured data; stored encrypted. */
    token: z.string().max(500).optional(),
    /** Syslog drains: the facility (default user). */
    facility: z.enum(FACILITY_NAMES).optional(),
  })
  .strict();

export const drainStatusView = z.object({
  /** new: nothing sent yet; ok: the last batch arrived; failing: the last attempt failed and is being retried. */
  state: z.enum(['new', 'ok', 'failing']),
  linesSent: z.number(),
  /** Lines that never reached the drain (it fell too far behind, or the receiver rejected them). */
  linesDropped: z.number(),
  /** Dropped lines not yet announced to the drain by a "N lines dropped" line. */
  droppedUnreported: z.number(),
  lastSuccessAt: z.string().nullable(),
  /** Never holds a header, token or password. */
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  failingSince: z.string().nullable(),
  /** The id of the last log line delivered (or skipped); the next batch starts after it. */
  cursor: z.number(),
});

export const drainView = z.object({
  id: z.string(),
  transport: z.enum(DRAIN_TRANSPORTS),
  /** The URL without user, password or query values. */
  url: z.string(),
  environment: z.string().nullable(),
  service: z.string().nullable(),
  /** Names of the extra headers (their values are never shown). */
  headers: z.array(z.string()),
  token: z.boolean(),
  facility: z.string().nullable(),
  createdAt: z.string(),
  status: drainStatusView,
});

export const drainTestView = z.object({ ok: z.boolean(), durationMs: z.number(), statusCode: z.number().nullable(), error: z.string().nullable() });

export type CreateDrainBody = z.infer<typeof createDrainBody>;
export type DrainView = z.infer<typeof drainView>;
export type DrainTestView = z.infer<typeof drainTestView>;
