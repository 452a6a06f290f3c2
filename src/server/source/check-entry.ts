import path from 'node:path';
import { WharfError } from '../../core/errors.js';
import { deadlocksExtraction } from './tar-deadlock.js';
import { resolveInTree } from './link-tree.js';

// What an uploaded archive may hold: regular files, folders and symlinks that stay inside
// the root (followed through the other links of the tree), all under relative paths, each
// path once. Checked on the listing, before anything is written.

export interface ArchiveLimits {
  maxUnpackedBytes: number;
  maxEntries: number;
}

export interface ArchiveEntry {
  path: string;
  type: string;
  size: number;
  linkpath?: string;
}

const ALLOWED = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink']);
const HINT = 'Upload the folder with `wharf up` (it packs relative paths and skips links that leave the folder), or remove the entry and try again.';

export function invalidSource(message: string, hint = HINT): WharfError {
  return new WharfError('INVALID_SOURCE', message, { hint });
}

/** Normalised relative path ('' for the root itself); throws on absolute paths and `..`. */
export function safeEntryPath(raw: string): string {
  const p = raw.replace(/\\/g, '/');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) throw invalidSource(`archive entry '${raw}' has an absolute path`);
  const parts = p.split('/');
  if (parts.includes('..')) throw invalidSource(`archive entry '${raw}' has a '..' segment that points outside the source`);
  if (p.includes('\0')) throw invalidSource(`archive entry '${raw}' has a NUL byte in its name`);
  return parts.filter((s) => s !== '' && s !== '.').join('/');
}

export class ArchiveChecker {
  private entries = 0;
  private bytes = 0;
  private readonly symlinks = new Map<string, string>();
  private readonly paths: string[] = [];
  private readonly seen = new Map<string, string>();

  constructor(private readonly limits: ArchiveLimits) {}

  check(entry: ArchiveEntry): void {
    const rel = safeEntryPath(entry.path);
    if (!ALLOWED.has(entry.type)) {
      const what =
        entry.type === 'Link'
          ? 'is a hard link'
          : entry.type === 'CharacterDevice' || entry.type === 'BlockDevice'
            ? 'is a device file'
            : entry.type === 'FIFO'
              ? 'is a named pipe (FIFO)'
              : `has an unsupported type (${entry.type})`;
      throw invalidSource(`archive entry '${entry.path}' ${what}; only files, folders and symlinks are accepted`);
    }
    if (entry.type === 'SymbolicLink') {
      const target = (entry.linkpath ?? '').replace(/\\/g, '/');
      if (target === '' || target.startsWith('/') || /^[A-Za-z]:/.test(target)) {
        throw invalidSource(`archive entry '${entry.path}' is a symlink to the absolute path '${entry.linkpath}'`);
      }
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(rel || '.'), target));
      if (resolved === '..' || resolved.startsWith('../')) {
        throw invalidSource(`archive entry '${entry.path}' is a symlink to '${entry.linkpath}', outside the source`);
      }
      if (deadlocksExtraction(entry.path, entry.linkpath ?? '')) {
        throw invalidSource(`archive entry '${entry.path}' is a symlink to '${entry.linkpath}', a path it lies inside`, 'Point the link with a relative path from its own folder (e.g. `..`), or leave it out.');
      }
      this.symlinks.set(rel, target);
    }
    // A later entry replaces an earlier one on extraction: the listing must be what lands on disk.
    const before = this.seen.get(rel);
    if (before !== undefined && !(before === 'Directory' && entry.type === 'Directory')) {
      throw invalidSource(`archive entry '${entry.path}' appears more than once`);
    }
    this.seen.set(rel, entry.type);
    if (rel !== '') this.paths.push(rel);
    this.entries += 1;
    this.bytes += entry.size;
    if (this.entries > this.limits.maxEntries) {
      throw invalidSource(`the archive holds more than ${this.limits.maxEntries} entries`, 'Leave out generated folders (node_modules, build output) with .gitignore or .wharfignore.');
    }
    if (this.bytes > this.limits.maxUnpackedBytes) {
      throw invalidSource(
        `the archive unpacks to more than ${formatBytes(this.limits.maxUnpackedBytes)}`,
        'Leave out generated folders (node_modules, build output) with .gitignore or .wharfignore.',
      );
    }
  }

  /** After the listing: no entry may sit beneath a symlink (that would write through it). */
  finish(): void {
    if (this.entries === 0) throw invalidSource('the archive is empty', 'Upload a folder that holds your app.');
    for (const p of this.paths) {
      const parts = p.split('/');
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join('/');
        if (this.symlinks.has(parent)) throw invalidSource(`archive entry '${p}' lies beneath the symlink '${parent}'`);
      }
    }
    for (const [link, target] of this.symlinks) {
      const resolved = resolveInTree(this.symlinks, link);
      if ('outside' in resolved) {
        throw invalidSource(`archive entry '${link}' is a symlink to '${target}', which leads outside the source once the symlinks on its way are followed`);
      }
      if ('loop' in resolved) throw invalidSource(`archive entry '${link}' is a symlink to '${target}' in a loop of symlinks`);
    }
  }
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}
