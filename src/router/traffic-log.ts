import { mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { openAppendStream } from './append-stream.js';

// The file the traffic counter appends its lines to (traffic.log): a few lines per 10 s, written
// through a stream so the router never waits on the disk. Mode 0600; rotated to `.1` (one
// previous file kept) past ROTATE_BYTES, like the access log.

const ROTATE_BYTES = 16 * 1024 * 1024;

export class TrafficLog {
  private stream: WriteStream;
  private size: number;
  /** Streams ended by a rotation whose last lines may still be on their way to disk. */
  private readonly ending = new Set<Promise<void>>();

  constructor(
    private readonly file: string,
    private readonly rotateBytes = ROTATE_BYTES,
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.stream = this.open();
    this.size = fileSize(file);
  }

  append(text: string): void {
    if (text === '') return;
    const bytes = Buffer.byteLength(text);
    if (this.size > 0 && this.size + bytes > this.rotateBytes) this.rotate();
    this.size += bytes;
    this.stream.write(text);
  }

  private open(): WriteStream {
    return openAppendStream(this.file);
  }

  private rotate(): void {
    // Lines queued on the old stream still land in the renamed file (same descriptor).
    const old = this.stream;
    const ended = new Promise<void>((resolve) => old.end(resolve)).then(() => void this.ending.delete(ended));
    this.ending.add(ended);
    try {
      renameSync(this.file, `${this.file}.1`);
    } catch {
      /* keep appending to the same file */
    }
    this.stream = this.open();
    this.size = 0;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.stream.end(resolve));
    await Promise.all(this.ending);
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
