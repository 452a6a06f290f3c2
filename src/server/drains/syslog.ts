import type { DrainRecord } from './record.js';

// RFC 5424 messages and their framing: octet counting over TCP and TLS (RFC 6587 3.4.1,
// RFC 5425), one message per datagram over UDP (RFC 5426).
//
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ELEMENT…] MSG
//
// PRI is facility × 8 + severity; header fields are printable US-ASCII without spaces ("-"
// when empty) cut to their maximum lengths; SD-PARAM values escape ", \ and ].

/** An SD-ID with the example enterprise number of RFC 5612 (Wharf has none registered). */
export const SD_ID = 'wharf@32473';
export const TOKEN_SD_ID = 'auth@32473';

export interface SyslogMessage {
  facility: number;
  severity: number;
  /** ms since the epoch */
  t: number;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: Array<{ id: string; params: Array<[string, string]> }>;
  message: string;
}

/** Severity from a line's level: fatal→2 (critical), error→3, warn→4, info→6, debug/trace→7. */
export function syslogSeverity(level: string | null, stream: string): number {
  switch (level) {
    case 'fatal':
      return 2;
    case 'error':
      return 3;
    case 'warn':
      return 4;
    case 'info':
      return 6;
    case 'debug':
    case 'trace':
      return 7;
    default:
      // No level of its own: stderr counts as an error, Wharf's own lines as notices.
      return stream === 'err' ? 3 : stream === 'sys' ? 5 : 6;
  }
}

/** A header field: printable ASCII only (others become _), at most `max` characters, - when empty. */
export function headerField(value: string | null | undefined, max: number): string {
  if (!value) return '-';
  const clean = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** An SD-NAME: printable ASCII except = space ] ", at most 32 characters. */
function sdName(name: string): string {
  return name.replace(/[^\x21-\x7e]|[= \]"]/g, '_').slice(0, 32) || '_';
}

export function escapeSdValue(value: string): string {
  return value.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

function timestamp(t: number): string {
  const date = new Date(t);
  return Number.isNaN(date.getTime()) ? '-' : date.toISOString();
}

export function formatSyslog(m: SyslogMessage): string {
  const pri = m.facility * 8 + m.severity;
  const sd = m.structuredData.length === 0
    ? '-'
    : m.structuredData.map((e) => `[${sdName(e.id)}${e.params.map(([k, v]) => ` ${sdName(k)}="${escapeSdValue(v)}"`).join('')}]`).join('');
  const header = `<${pri}>1 ${timestamp(m.t)} ${headerField(m.hostname, 255)} ${headerField(m.appName, 48)} ${headerField(m.procId, 128)} ${headerField(m.msgId, 32)} ${sd}`;
  return m.message === '' ? header : `${header} ${m.message}`;
}

/** Cuts text to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  return Buffer.from(text).subarray(0, maxBytes).toString('utf8').replace(/\uFFFD+$/, '');
}

/** RFC 6587 octet counting: "LEN SP MSG", LEN the message's length in bytes. */
export function octetCountingFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/** Splits a stream of octet-counted frames; returns the messages and the unread rest. */
export function parseOctetCounting(buffer: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let at = 0;
  for (;;) {
    const space = buffer.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(buffer.toString('ascii', at, space));
    if (!Number.isInteger(length) || length < 0) throw new Error(`bad frame length at byte ${at}`);
    if (buffer.length < space + 1 + length) break;
    messages.push(buffer.toString('utf8', space + 1, space + 1 + length));
    at = space + 1 + length;
  }
  return { messages, rest: buffer.subarray(at) };
}

/** `key=value` pairs after the message, like `wharf logs` shows them. */
function withFields(message: string, fields: Record<string, unknown> | null): string {
  if (!fields) return message;
  const pairs = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`);
  return pairs.length > 0 ? `${message} ${pairs.join(' ')}` : message;
}

/**
 * A log line as a syslog message. HOSTNAME is the project and environment, APP-NAME the service,
 * PROCID the replica (or the deployment, for builds), MSGID the source (runtime, build, cron …);
 * the structured data names them all, and carries the drain's token when it has one.
 */
export function recordToSyslog(record: DrainRecord, options: { facility: number; token: string | null; maxBytes: number }): string {
  const params: Array<[string, string]> = [
    ['project', record.project],
    ['environment', record.environment],
    ['service', record.service],
  ];
  if (record.deployment) params.push(['deployment', record.deployment]);
  if (record.replica) params.push(['replica', record.replica]);
  params.push(['source', record.source], ['stream', record.stream]);
  if (record.level) params.push(['level', record.level]);
  if (record.id !== null) params.push(['id', String(record.id)]);
  const structuredData = [
    ...(options.token ? [{ id: TOKEN_SD_ID, params: [['token', options.token]] as Array<[string, string]> }] : []),
    { id: SD_ID, params },
  ];
  const message: SyslogMessage = {
    facility: options.facility,
    severity: syslogSeverity(record.level, record.stream),
    t: record.t,
    hostname: `${record.project}.${record.environment}`,
    appName: record.service,
    procId: record.replica ?? record.deployment ?? record.source,
    msgId: record.source,
    structuredData,
    message: '',
  };
  const header = formatSyslog(message);
  const room = Math.max(0, options.maxBytes - Buffer.byteLength(header) - 1);
  const text = truncateUtf8(withFields(record.message, record.fields), room);
  return text === '' ? header : `${header} ${text}`;
}
