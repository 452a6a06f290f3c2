import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { WharfError } from '../core/errors.js';

// Reading a file of a stored source (railway.json, the Procfile, package.json …) on behalf of
// the control plane: the path is resolved first and must stay inside the source's real root, so
// a symlink can never make Wharf read its own state (config.json, secret.key) or any other file
// of the machine; the resolved file is then opened with O_NOFOLLOW and must be a regular file.

/** Config and manifest files are small; a bigger one is refused instead of read into memory. */
export const MAX_SOURCE_FILE_BYTES = 4 * 1024 * 1024;

function outside(rel: string): WharfError {
  return new WharfError('INVALID_SOURCE', `'${rel}' is a symlink that leads outside the source`, {
    hint: 'Replace the link by the file itself (or a link to a file inside the folder) and deploy again with `wharf up`.',
  });
}

/** The real path of `root/rel` when it exists inside the real root; null when absent. */
export async function resolveInSource(root: string, rel: string): Promise<string | null> {
  let real: string;
  try {
    real = await fs.realpath(path.join(root, rel));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      // A dangling link may still point outside: say so rather than "absent".
      if (await leadsOutside(root, rel)) throw outside(rel);
      return null;
    }
    if (code === 'ELOOP') throw new WharfError('INVALID_SOURCE', `'${rel}' is a loop of symlinks`, { hint: 'Remove the loop and deploy again with `wharf up`.' });
    throw err;
  }
  const realRoot = await fs.realpath(root);
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw outside(rel);
  return real;
}

/** A dangling link whose text points out of the source (an absolute path or too many `..`). */
async function leadsOutside(root: string, rel: string): Promise<boolean> {
  try {
    const target = await fs.readlink(path.join(root, rel));
    const joined = path.resolve(path.dirname(path.join(root, rel)), target);
    const base = path.resolve(root);
    return joined !== base && !joined.startsWith(base + path.sep);
  } catch {
    return false;
  }
}

export async function isSourceFile(root: string, rel: string): Promise<boolean> {
  const real = await resolveInSource(root, rel);
  if (real === null) return false;
  return (await fs.stat(real)).isFile();
}

/** The text of `root/rel`; null when absent or a folder. */
export async function readSourceText(root: string, rel: string, maxBytes = MAX_SOURCE_FILE_BYTES): Promise<string | null> {
  const real = await resolveInSource(root, rel);
  if (real === null) return null;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw outside(rel);
    throw err;
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) return null;
    if (!info.isFile()) throw new WharfError('INVALID_SOURCE', `'${rel}' is not a regular file`, { hint: 'Replace it by a regular file and deploy again with `wharf up`.' });
    if (info.size > maxBytes) {
      throw new WharfError('INVALID_SOURCE', `'${rel}' is larger than ${Math.round(maxBytes / 1024)} KiB`, { hint: 'A config or manifest file this big is not one Wharf can read; shrink it and deploy again.' });
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
