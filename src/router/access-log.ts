import { mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { openAppendStream } from './append-stream.js';

// One JSON line per request, for metrics. Lines are written straight into an off-heap buffer
// that reaches the file in batches, so the proxy never waits on the disk, makes one write per
// batch, and leaves no strings behind per request: a string built by `+=` stays on the young
// heap until the flush, and every scavenge in between copies it (a longer pause for every
// request in flight).

export interface AccessRecord {
  host: string;
  method: string;
  /** With the query string; cut off here, since queries may carry secrets. */
  url: string;
  status: number;
  durationMs: number;
  target: string | null;
  bytesOut: number;
  /** The request came in on a private listener (app to app), not the public one. */
  private?: boolean;
}

const FLUSH_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 250;
// One previous file is kept (access.log.1): enough for metrics, bounded on disk.
const ROTATE_BYTES = 64 * 1024 * 1024;
// A disk slower than the traffic must not grow the router's memory without end.
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
// The fixed parts of a line (keys, time, numbers) fit in this; strings are counted on top.
const FIXED_LINE_BYTES = 256;
// A JSON string needs at most 6 bytes per UTF-16 unit (\u001f), quotes aside.
const MAX_BYTES_PER_CHAR = 6;
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f]/;

export class AccessLog {
  private stream: WriteStream;
  private size: number;
  private buf = Buffer.allocUnsafeSlow(FLUSH_BYTES);
  private used = 0;
  dropped = 0;
  private readonly timer: NodeJS.Timeout;
  // Under load many requests end in the same millisecond: format the time once for them.
  private lastMs = 0;
  private lastTime = '';

  constructor(private readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.stream = this.open();
    this.size = fileSize(file);
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  write(r: AccessRecord): void {
    const now = Date.now();
    if (now !== this.lastMs) {
      this.lastMs = now;
      this.lastTime = `{"time":"${new Date(now).toISOString()}","host":`;
    }
    const q = r.url.indexOf('?');
    const p = q === -1 ? r.url : r.url.slice(0, q);
    const target = r.target;
    const worst = FIXED_LINE_BYTES + MAX_BYTES_PER_CHAR * (r.host.length + r.method.length + p.length + (target === null ? 0 : target.length));
    if (this.used + worst > this.buf.length) {
      this.flush();
      if (worst > this.buf.length) this.buf = Buffer.allocUnsafeSlow(worst);
    }
    this.ascii(this.lastTime);
    this.jsonString(r.host);
    this.ascii(',"method":');
    this.jsonString(r.method);
    this.ascii(',"path":');
    this.jsonString(p);
    this.ascii(`,"status":${r.status},"durationMs":${r.durationMs},"target":`);
    if (target === null) this.ascii('null');
    else this.jsonString(target);
    this.ascii(r.private === true ? `,"bytesOut":${r.bytesOut},"private":true}\n` : `,"bytesOut":${r.bytesOut}}\n`);
    if (this.used >= FLUSH_BYTES) this.flush();
  }

  private ascii(s: string): void {
    this.used += this.buf.write(s, this.used, 'latin1');
  }

  private jsonString(s: string): void {
    if (NEEDS_ESCAPE.test(s)) {
      this.used += this.buf.write(JSON.stringify(s), this.used, 'utf8');
      return;
    }
    this.buf[this.used++] = 0x22;
    this.used += this.buf.write(s, this.used, 'utf8');
    this.buf[this.used++] = 0x22;
  }

  flush(): void {
    if (this.used === 0) return;
    // The stream keeps the bytes until they are on disk: the next lines go into a new buffer.
    const chunk = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafeSlow(FLUSH_BYTES);
    this.used = 0;
    if (this.stream.writableLength > MAX_PENDING_BYTES) {
      this.dropped++;
      return;
    }
    if (this.size + chunk.length > ROTATE_BYTES) this.rotate();
    this.size += chunk.length;
    this.stream.write(chunk);
  }

  private open(): WriteStream {
    return openAppendStream(this.file);
  }

  private rotate(): void {
    // Lines already queued on the old stream still land in the renamed file (same descriptor).
    this.stream.end();
    try {
      renameSync(this.file, `${this.file}.1`);
    } catch {
      /* keep appending to the same file */
    }
    this.stream = this.open();
    this.size = 0;
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
