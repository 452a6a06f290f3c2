import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
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
}

const FLUSH_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 250;

export class AccessLog {
  private readonly stream: WriteStream;
  private buffer = '';
  private readonly timer: NodeJS.Timeout;

  constructor(file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
    // A failing disk must not take the proxy down; the lines are lost, the requests are not.
    this.stream.on('error', () => undefined);
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  write(r: AccessRecord): void {
    const q = r.url.indexOf('?');
    const p = q === -1 ? r.url : r.url.slice(0, q);
    this.buffer +=
      `{"time":"${new Date().toISOString()}","host":${JSON.stringify(r.host)},"method":${JSON.stringify(r.method)},` +
      `"path":${JSON.stringify(p)},"status":${r.status},"durationMs":${r.durationMs},` +
      `"target":${r.target === null ? 'null' : JSON.stringify(r.target)},"bytesOut":${r.bytesOut}}\n`;
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer;
    this.buffer = '';
    this.stream.write(chunk);
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
