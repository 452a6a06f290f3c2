import { createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';

// One JSON line per request, for metrics later. Lines collect in a string and reach the file
// in batches, so the proxy never waits on the disk and makes one write per batch, not per request.

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

export class AccessLog {
  private stream: WriteStream;
  private size: number;
  private buffer = '';
  dropped = 0;
  private readonly timer: NodeJS.Timeout;
  // Under load many requests end in the same millisecond: format the time once for them.
  private lastMs = 0;
  private lastIso = '';

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
      this.lastIso = new Date(now).toISOString();
    }
    const q = r.url.indexOf('?');
    const p = q === -1 ? r.url : r.url.slice(0, q);
    this.buffer +=
      `{"time":"${this.lastIso}","host":${JSON.stringify(r.host)},"method":${JSON.stringify(r.method)},` +
      `"path":${JSON.stringify(p)},"status":${r.status},"durationMs":${r.durationMs},` +
      `"target":${r.target === null ? 'null' : JSON.stringify(r.target)},"bytesOut":${r.bytesOut}` +
      (r.private === true ? ',"private":true}\n' : '}\n');
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer;
    this.buffer = '';
    if (this.stream.writableLength > MAX_PENDING_BYTES) {
      this.dropped++;
      return;
    }
    if (this.size + chunk.length > ROTATE_BYTES) this.rotate();
    this.size += chunk.length;
    this.stream.write(chunk);
  }

  private open(): WriteStream {
    const stream = createWriteStream(this.file, { flags: 'a', mode: 0o600 });
    // A failing disk must not take the proxy down; the lines are lost, the requests are not.
    stream.on('error', () => undefined);
    return stream;
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
