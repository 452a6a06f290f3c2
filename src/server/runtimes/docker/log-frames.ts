// The engine's log stream for a container without a TTY is multiplexed: frames of an 8-byte
// header (stream 1 = stdout, 2 = stderr; big-endian payload length) and a payload. With
// `timestamps: true` each log entry starts with its RFC 3339 time (nanoseconds, trailing zeros
// trimmed) and a space. This parser keeps partial frames across chunks.

export interface EngineLine {
  stream: 'out' | 'err';
  /** The engine's timestamp, exactly as sent (the resume cursor). */
  ts: string;
  message: string;
}

export class FrameParser {
  private pending: Buffer = Buffer.alloc(0);

  /** Complete lines in `chunk` (and earlier leftovers). */
  push(chunk: Buffer): EngineLine[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const lines: EngineLine[] = [];
    let at = 0;
    while (this.pending.length - at >= 8) {
      const size = this.pending.readUInt32BE(at + 4);
      if (this.pending.length - at - 8 < size) break;
      const kind = this.pending[at];
      const payload = this.pending.subarray(at + 8, at + 8 + size).toString('utf8');
      at += 8 + size;
      if (kind !== 1 && kind !== 2) continue; // stdin echo (0) or a future stream: not a log line
      lines.push(...entryLines(kind === 1 ? 'out' : 'err', payload));
    }
    this.pending = this.pending.subarray(at);
    return lines;
  }
}

function entryLines(stream: 'out' | 'err', payload: string): EngineLine[] {
  const space = payload.indexOf(' ');
  const ts = space > 0 ? payload.slice(0, space) : '';
  const text = (space > 0 && nsOf(ts) !== null ? payload.slice(space + 1) : payload).replace(/\r?\n$/, '');
  return text.split(/\r?\n/).map((message) => ({ stream, ts, message }));
}

/** Nanoseconds since the epoch of an engine timestamp; null when it is not one. */
export function nsOf(ts: string): bigint | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return null;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return null;
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** `since` for the logs API: seconds.nanoseconds. */
export function sinceParam(ts: string): string {
  const ns = nsOf(ts) ?? 0n;
  return `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
}

/** The engine's timestamp as the ISO time (ms) of a Wharf log line. */
export function isoOf(ts: string): string {
  const ns = nsOf(ts);
  return ns === null ? new Date().toISOString() : new Date(Number(ns / 1_000_000n)).toISOString();
}
