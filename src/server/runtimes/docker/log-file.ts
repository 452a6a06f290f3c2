import fs from 'node:fs';
import path from 'node:path';
import { formatLogLine, type LogStreamName } from '../../../shared/log-writer.js';
import { Redactor, type SecretValue } from '../../../shared/secrets/redact.js';

// Appends a replica's lines to its log file with the engine's own timestamps, redacted. Lines
// go out in the order they are written and their times never go backwards: a sys line Wharf
// writes between two of the engine's lines keeps the file sorted by time. Synchronous appends,
// so the log cursor saved after a batch never runs ahead of the file.

export class OrderedLogFile {
  private last = '';
  private readonly redactor: Redactor;
  private failed = false;

  constructor(
    readonly file: string,
    secrets: SecretValue[],
  ) {
    this.redactor = new Redactor(secrets);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.last = lastTime(file);
  }

  write(lines: Array<{ stream: LogStreamName; message: string; iso?: string }>): void {
    if (this.failed || lines.length === 0) return;
    let text = '';
    for (const line of lines) {
      const wanted = line.iso ?? new Date().toISOString();
      const iso = wanted > this.last ? wanted : this.last;
      this.last = iso;
      text += formatLogLine(line.stream, this.redactor.redact(line.message), new Date(iso));
    }
    try {
      fs.appendFileSync(this.file, text);
    } catch (err) {
      // A broken log must not take the replica down with it: report once, keep running.
      this.failed = true;
      console.error(`log file ${this.file}: ${(err as Error).message}`);
    }
  }

  redact(message: string): string {
    return this.redactor.redact(message);
  }

  sys(message: string, iso: string = new Date().toISOString()): void {
    this.write([{ stream: 'sys', message, iso }]);
  }
}

/** The time of the file's last line, so times stay sorted across control plane restarts. */
function lastTime(file: string): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const length = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(length);
      fs.readSync(fd, buf, 0, length, size - length);
      const lines = buf.toString('utf8').trimEnd().split('\n');
      const t = (JSON.parse(lines[lines.length - 1] ?? '{}') as { t?: string }).t;
      return typeof t === 'string' ? t : '';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}
