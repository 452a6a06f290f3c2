import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

// Reads an appended log (the router's traffic.log) from a saved position, a bounded number of
// bytes per call, whole lines only. The router renames traffic.log to traffic.log.1 past its
// size limit and opens a new traffic.log: a position whose inode now belongs to the `.1` file
// finishes that file first. A file smaller than the position was truncated: reading starts over
// at 0.

export interface TailPosition {
  /** Inode of the file the offset belongs to (0 before the first read). */
  ino: number;
  offset: number;
  /** The file's first bytes: an inode reused by a newer file (two rotations between reads) differs here. */
  head?: string;
}

export interface TailResult {
  /** Complete lines, without their newline; empty lines left out. */
  lines: string[];
  position: TailPosition;
  /** More bytes are waiting beyond this call's budget. */
  more: boolean;
}

const CHUNK = 256 * 1024;

const HEAD_BYTES = 256;

function headOf(file: string): string | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buffer, 0, HEAD_BYTES, 0);
    return buffer.toString('latin1', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** Same inode and, as far as we saw it, the same first bytes. */
function sameFile(file: string, stat: { ino: number } | null, position: TailPosition): boolean {
  if (!stat || stat.ino !== position.ino) return false;
  if (!position.head) return true;
  const head = headOf(file);
  return head !== null && head.startsWith(position.head);
}

function statOrNull(file: string): { ino: number; size: number } | null {
  try {
    const s = statSync(file);
    return { ino: s.ino, size: s.size };
  } catch {
    return null;
  }
}

/** Complete lines from `file` at `offset`, at most `budget` bytes; the offset only moves past whole lines. */
function readLines(file: string, offset: number, budget: number): { text: string; consumed: number; size: number; ino: number } | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const { size, ino } = fstatSync(fd);
    const want = Math.min(budget, Math.max(0, size - offset));
    if (want === 0) return { text: '', consumed: 0, size, ino };
    const buffer = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const n = readSync(fd, buffer, got, Math.min(CHUNK, want - got), offset + got);
      if (n === 0) break;
      got += n;
    }
    const end = buffer.lastIndexOf(0x0a, got - 1);
    if (end === -1) {
      // A single line longer than the budget: skip it rather than stall forever.
      return got >= budget ? { text: '', consumed: got, size, ino } : { text: '', consumed: 0, size, ino };
    }
    return { text: buffer.toString('utf8', 0, end + 1), consumed: end + 1, size, ino };
  } finally {
    closeSync(fd);
  }
}

/**
 * New lines of `file` (and of `file`.1 when it was rotated under us) since `position`,
 * reading at most `budget` bytes.
 */
export function tailLog(file: string, position: TailPosition, budget = 4 * 1024 * 1024): TailResult {
  const current = statOrNull(file);
  let { ino, offset } = position;
  let head = position.head;
  let text = '';

  if (ino !== 0 && !sameFile(file, current, position)) {
    // Rotated: the rest of our file is now `file`.1 (if that is still our file).
    const rotated = statOrNull(`${file}.1`);
    if (sameFile(`${file}.1`, rotated, position) && rotated!.size >= offset) {
      const from = offset;
      const read = readLines(`${file}.1`, offset, budget);
      if (read) {
        text += read.text;
        offset += read.consumed;
        budget -= read.consumed;
        // The budget ran out inside the rotated file: resume there next time.
        if (read.size - from > read.consumed && budget <= 0) return finish(text, { ino, offset, head }, true);
      }
    }
    // Done with the old file (a torn last line there is dropped): the new one from its start.
    if (!current) return finish(text, { ino: 0, offset: 0 }, false);
    ino = current.ino;
    offset = 0;
    head = undefined;
  }
  if (!current) return finish(text, position, false);
  if (ino === 0) ino = current.ino;
  if (current.size < offset) {
    // Truncated in place.
    offset = 0;
    head = undefined;
  }

  let more = false;
  if (budget > 0) {
    const read = readLines(file, offset, budget);
    if (read && read.ino === ino) {
      more = read.size - offset > budget;
      text += read.text;
      offset += read.consumed;
      if ((head?.length ?? 0) < HEAD_BYTES && offset > 0) head = headOf(file)?.slice(0, Math.min(offset, HEAD_BYTES)) ?? head;
    }
  } else {
    more = current.size > offset;
  }
  return finish(text, { ino, offset, ...(head ? { head } : {}) }, more);
}

function finish(text: string, position: TailPosition, more: boolean): TailResult {
  return { lines: text.split('\n').filter((l) => l !== ''), position, more };
}
