import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { WharfError } from '../../core/errors.js';
import { readLinesFrom, type LogLine } from './log-file.js';

export interface TaggedLine extends LogLine {
  replica?: string;
}

/** `--since`: a duration (30s, 10m, 2h, 1d) back from now, or an ISO time. */
export function parseSince(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined || value === '') return null;
  const duration = /^(\d+)(s|m|h|d)$/.exec(value);
  if (duration) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[duration[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(duration[1]) * unit;
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new WharfError('BAD_REQUEST', `--since '${value}' is neither a duration nor a time`, { hint: 'Use e.g. 30s, 10m, 2h, 1d or 2026-11-20T14:03:00Z.' });
  }
  return time;
}

/** The replica log files of one deployment's folder (build.log excluded). */
export async function replicaLogFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => f.endsWith('.log') && f !== 'build.log').map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** Reads files from their offsets, tags lines with their replica, merges them by time. */
export class LogCursor {
  private readonly offsets = new Map<string, number>();

  async read(files: readonly string[], tag: boolean): Promise<TaggedLine[]> {
    const merged: TaggedLine[] = [];
    for (const file of files) {
      const { lines, offset } = await readLinesFrom(file, this.offsets.get(file) ?? 0);
      this.offsets.set(file, offset);
      const replica = tag ? path.basename(file, '.log') : undefined;
      for (const line of lines) merged.push(replica ? { ...line, replica } : line);
    }
    return merged.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  }
}

export function selectLines(lines: TaggedLine[], since: number | null, count: number | undefined): TaggedLine[] {
  const recent = since === null ? lines : lines.filter((l) => Date.parse(l.t) >= since);
  return count === undefined ? recent : recent.slice(-count);
}
