import fs, { promises as fsp, type Dirent } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RunAs } from '../../core/runtime.js';

// A replica's or a one-off command's writable working folder, made from a release that must
// never change (docs/isolation.md, "Releases stay as built"):
//
// - `link` (default): a farm. Folders are new, owned by the app's user (it can add, rename and
//   delete entries); files are hard links to the release's own, which are owned by Wharf and not
//   writable by anyone else, so their bytes cannot change through the link. Cost: one mkdir per
//   folder and one link per file, no data copied.
// - `copy`: every file copied and owned by the app's user, for apps that rewrite a file they
//   ship in place. Cost: the release's size, on every replica start.
//
// A file the app could write through a link (group/other-writable, or owned by the app's user
// already) is copied even in `link` mode; so is everything when the folders are on different
// filesystems (a hard link cannot cross them).

export type WorkCopyMode = 'link' | 'copy';

export function workCopyModeFromEnv(env: NodeJS.ProcessEnv = process.env): WorkCopyMode {
  const raw = env.WHARF_WORKDIR_MODE ?? 'link';
  if (raw !== 'link' && raw !== 'copy') throw new Error(`WHARF_WORKDIR_MODE must be link or copy, got '${raw}'`);
  return raw;
}

export interface WorkCopyOptions {
  mode: WorkCopyMode;
  /** Owner of the copy's folders (and copied files); null: Wharf's own user. */
  user: RunAs | null;
}

const ownUid = () => process.getuid?.() ?? -1;
const FROM_SOURCE = path.extname(fileURLToPath(import.meta.url)) === '.ts';
const WORKER_URL = new URL(`./work-copy-worker${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);

/**
 * Makes `dest` (which must not exist) a working copy of `release`. The walk is synchronous (a
 * link is a few microseconds of kernel time; awaiting each one costs several times that), so it
 * runs on a worker thread and the control plane's event loop never waits on it.
 */
export function makeWorkCopy(release: string, dest: string, options: WorkCopyOptions): Promise<void> {
  // A small release is copied at once: a thread costs ~100 ms to start, the copy a few ms.
  if (!hasMoreEntries(release, INLINE_ENTRIES)) {
    try {
      makeWorkCopySync(release, dest, options);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
  return new Promise((resolve, reject) => {
    const workerData = { release, dest, options };
    const worker = FROM_SOURCE
      ? // Run from TypeScript (tests, bench under tsx): a worker does not inherit tsx's loader.
        new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}); })`, { eval: true, workerData })
      : new Worker(WORKER_URL, { workerData });
    let failed: Error | null = null;
    worker.once('message', (message: { error?: string; code?: string }) => {
      if (message.error) failed = Object.assign(new Error(message.error), { code: message.code });
    });
    worker.once('error', (err) => (failed = err));
    worker.once('exit', (code) => (failed ? reject(failed) : code === 0 ? resolve() : reject(new Error(`the work-copy worker exited with code ${code}`))));
  });
}

const INLINE_ENTRIES = 500;

/** Whether `dir` holds more than `limit` entries (stops counting there). */
function hasMoreEntries(dir: string, limit: number): boolean {
  let seen = 0;
  const pending = [dir];
  while (pending.length > 0) {
    for (const entry of fs.readdirSync(pending.pop()!, { withFileTypes: true })) {
      if (++seen > limit) return true;
      if (entry.isDirectory()) pending.push(path.join(entry.parentPath, entry.name));
    }
  }
  return false;
}

/** The copy itself, synchronous: for the worker (work-copy-worker.ts), and for tests. */
export function makeWorkCopySync(release: string, dest: string, options: WorkCopyOptions): void {
  const state = { crossDevice: false };
  const top = fs.statSync(release);
  fs.mkdirSync(dest, { mode: 0o700 });
  own(dest, options.user, (top.mode & 0o777) | 0o700);
  copyTree(release, dest, options, state);
  // Others never enter an app's working folder, whatever the release's own mode was.
  fs.chmodSync(dest, 0o700);
}

function copyTree(from: string, to: string, options: WorkCopyOptions, state: { crossDevice: boolean }): void {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) copyEntry(entry, from, to, options, state);
}

function copyEntry(entry: Dirent, fromDir: string, toDir: string, options: WorkCopyOptions, state: { crossDevice: boolean }): void {
  const from = path.join(fromDir, entry.name);
  const to = path.join(toDir, entry.name);
  if (entry.isDirectory()) {
    const stat = fs.statSync(from);
    fs.mkdirSync(to);
    own(to, options.user, (stat.mode & 0o777) | 0o700);
    copyTree(from, to, options, state);
  } else if (entry.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(from), to);
    if (options.user) fs.lchownSync(to, options.user.uid, options.user.gid);
  } else if (entry.isFile()) {
    const stat = fs.statSync(from);
    if (options.mode === 'link' && !state.crossDevice && linkIsSafe(stat, options.user)) {
      try {
        fs.linkSync(from, to);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        state.crossDevice = true;
      }
    }
    fs.copyFileSync(from, to);
    own(to, options.user, (stat.mode & 0o777) | 0o200);
  }
  // Sockets, FIFOs and devices are not part of a build: left out.
}

/** Through a hard link the app may read the file, never change it. */
function linkIsSafe(stat: { mode: number; uid: number }, user: RunAs | null): boolean {
  if ((stat.mode & 0o022) !== 0) return false;
  if (user) return stat.uid !== user.uid;
  // Wharf unprivileged: the app is the file's owner. A file without write bits still refuses a
  // write (only chmod would undo that, which the docs say is not prevented); else copy it.
  return stat.uid !== ownUid() || (stat.mode & 0o200) === 0;
}

function own(file: string, user: RunAs | null, mode: number): void {
  if (user) fs.chownSync(file, user.uid, user.gid);
  fs.chmodSync(file, mode);
}

/**
 * Freezes a finished build: every entry owned by Wharf's user, nothing writable but by it, and
 * (when Wharf is not root, so the app would be the owner) no write bit on files at all.
 */
export async function sealRelease(dir: string): Promise<void> {
  const uid = ownUid();
  const gid = process.getgid?.() ?? -1;
  const root = uid === 0;
  const seal = async (file: string, isDir: boolean, isLink: boolean) => {
    if (root) await fsp.lchown(file, uid, gid);
    if (isLink) return;
    const { mode } = await fsp.stat(file);
    // Readable by the app's user through its working copy's links: as root every entry gets read
    // (and, where the owner could, execute) bits for others. The sources are stored 0600/0700
    // (the state folder's umask), so without this an app could not read its own files; the
    // release stays unreachable for other services because releases/ and each working copy's
    // top folder are 0700.
    const readable = (mode & 0o100) !== 0 ? 0o755 : 0o644;
    const next = root ? (isDir ? 0o755 : readable) : isDir ? (mode & 0o755) | 0o700 : mode & 0o555;
    if ((mode & 0o7777) !== next) await fsp.chmod(file, next);
  };
  const walk = async (current: string): Promise<void> => {
    const entries = await fsp.readdir(current, { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const file = path.join(current, entry.name);
        await seal(file, entry.isDirectory(), entry.isSymbolicLink());
        if (entry.isDirectory()) await walk(file);
      }),
    );
  };
  await seal(dir, true, false);
  await walk(dir);
}

/** Gives a whole tree to `user` (a build's copy of its source, before its steps run). */
export async function chownTree(dir: string, user: RunAs): Promise<void> {
  await fsp.lchown(dir, user.uid, user.gid);
  const entries = await fsp.readdir(dir, { withFileTypes: true, recursive: true });
  await Promise.all(entries.map((entry) => fsp.lchown(path.join(entry.parentPath, entry.name), user.uid, user.gid)));
}
