import { open, stat } from 'node:fs/promises';
import type { LogLine } from '../../shared/log-writer.js';

// Reading the JSON-lines logs that LogWriter writes.

export type { LogLine };

export function parseLogLine(text: string): LogLine | null {
  try {
    const value = JSON.parse(text) as Partial<LogLine>;
    if (typeof value.t === 'string' && typeof value.m === 'string') {
      return { t: value.t, s: value.s === 'err' || value.s === 'sys' ? value.s : 'out', m: value.m };
    }
  } catch {
    /* a torn last line while the writer is mid-write */
  }
  return null;
}

/** Reads whole lines from `offset`; returns them and the offset after the last complete line. */
export async function readLinesFrom(file: string, offset: number): Promise<{ lines: LogLine[]; offset: number }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return { lines: [], offset };
  }
  try {
    const { size } = await handle.stat();
    if (size <= offset) return { lines: [], offset: Math.min(offset, size) };
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    const end = buffer.lastIndexOf(0x0a);
    if (end < 0) return { lines: [], offset };
    const lines = buffer
      .subarray(0, end)
      .toString('utf8')
      .split('\n')
      .map(parseLogLine)
      .filter((l): l is LogLine => l !== null);
    return { lines, offset: offset + end + 1 };
  } finally {
    await handle.close();
  }
}

export async function readAllLines(file: string): Promise<LogLine[]> {
  return (await readLinesFrom(file, 0)).lines;
}

export async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

export async function lastLines(file: string, count: number): Promise<string[]> {
  const lines = await readAllLines(file);
  return lines.slice(-count).map((l) => l.m);
}
