import fs from 'node:fs';
import path from 'node:path';

// Every log Wharf keeps (build, replica, job) is JSON lines: {"t": ISO time, "s": stream, "m": text}.
// Supervisors write replica logs with this writer too, so one reader serves them all.

export type LogStreamName = 'out' | 'err' | 'sys';

export interface LogLine {
  t: string;
  s: LogStreamName;
  m: string;
}

export function formatLogLine(stream: LogStreamName, message: string, now: Date = new Date()): string {
  const line: LogLine = { t: now.toISOString(), s: stream, m: message };
  return JSON.stringify(line) + '\n';
}

export class LogWriter {
  private readonly stream: fs.WriteStream;
  private failed = false;
  private closed = false;
  private closing: Promise<void> | null = null;

  /** `redact` runs on every message first: secret values never reach the file. */
  constructor(
    readonly file: string,
    private readonly redact: (message: string) => string = (m) => m,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.stream = fs.createWriteStream(file, { flags: 'a' });
    // A broken log must not take the app down with it: report once, keep supervising.
    this.stream.on('error', (err) => {
      if (!this.failed) console.error(`log file ${file}: ${err.message}`);
      this.failed = true;
    });
  }

  write(stream: LogStreamName, message: string): void {
    if (!this.failed && !this.closed) this.stream.write(formatLogLine(stream, this.redact(message)));
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = new Promise((resolve) => {
        if (this.failed) return resolve();
        this.stream.end(() => resolve());
      });
    }
    return this.closing;
  }
}
