import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
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

/** Makes `dest` (which must not exist) a working copy of `release`. */
export async function makeWorkCopy(release: string, dest: string, options: WorkCopyOptions): Promise<void> {
  const state = { crossDevice: false };
  const top = await fs.stat(release);
  await fs.mkdir(dest, { mode: 0o700 });
  await own(dest, options.user, (top.mode & 0o777) | 0o700);
  await copyTree(release, dest, options, state);
  // Others never enter an app's working folder, whatever the release's own mode was.
  await fs.chmod(dest, 0o700);
}

async function copyTree(from: string, to: string, options: WorkCopyOptions, state: { crossDevice: boolean }): Promise<void> {
  const entries = await fs.readdir(from, { withFileTypes: true });
  await Promise.all(entries.map((entry) => copyEntry(entry, from, to, options, state)));
}

async function copyEntry(entry: Dirent, fromDir: string, toDir: string, options: WorkCopyOptions, state: { crossDevice: boolean }): Promise<void> {
  const from = path.join(fromDir, entry.name);
  const to = path.join(toDir, entry.name);
  if (entry.isDirectory()) {
    const stat = await fs.stat(from);
    await fs.mkdir(to);
    await own(to, options.user, (stat.mode & 0o777) | 0o700);
    await copyTree(from, to, options, state);
  } else if (entry.isSymbolicLink()) {
    await fs.symlink(await fs.readlink(from), to);
    if (options.user) await fs.lchown(to, options.user.uid, options.user.gid);
  } else if (entry.isFile()) {
    const stat = await fs.stat(from);
    if (options.mode === 'link' && !state.crossDevice && linkIsSafe(stat, options.user)) {
      try {
        await fs.link(from, to);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        state.crossDevice = true;
      }
    }
    await fs.copyFile(from, to);
    await own(to, options.user, (stat.mode & 0o777) | 0o200);
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

async function own(file: string, user: RunAs | null, mode: number): Promise<void> {
  if (user) await fs.chown(file, user.uid, user.gid);
  await fs.chmod(file, mode);
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
    if (root) await fs.lchown(file, uid, gid);
    if (isLink) return;
    const { mode } = await fs.stat(file);
    // Readable by the app's user through its working copy's links: others keep their read bits.
    const next = isDir ? (mode & 0o755) | 0o700 : root ? mode & 0o755 : mode & 0o555;
    if ((mode & 0o7777) !== next) await fs.chmod(file, next);
  };
  const walk = async (current: string): Promise<void> => {
    const entries = await fs.readdir(current, { withFileTypes: true });
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
  await fs.lchown(dir, user.uid, user.gid);
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  await Promise.all(entries.map((entry) => fs.lchown(path.join(entry.parentPath, entry.name), user.uid, user.gid)));
}
