import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Parser, Unpack, type ReadEntry } from 'tar';
import { WharfError } from '../../core/errors.js';
import { assertGzip, inflated, notArchive, type InflateLimits } from './archive-stream.js';
import { ArchiveChecker, invalidSource, type ArchiveLimits } from './check-entry.js';

// Check an uploaded archive's listing, then extract it into place: both passes read through the
// bounded inflater. Runs in the unpack worker (unpack-worker.ts), never on the API's event loop.

export type UnpackLimits = ArchiveLimits & InflateLimits;

export async function checkAndUnpack(archive: string, target: string, limits: UnpackLimits): Promise<void> {
  await assertGzip(archive);
  await checkArchive(archive, limits);
  await unpackOnce(archive, target, limits);
}

async function checkArchive(file: string, limits: UnpackLimits): Promise<void> {
  const checker = new ArchiveChecker(limits);
  let failure: unknown;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      if (failure === undefined) {
        try {
          checker.check({ path: entry.path, type: entry.type, size: entry.size ?? 0, linkpath: entry.linkpath });
        } catch (err) {
          failure = err;
          parser.abort(err as Error);
        }
      }
      entry.resume();
    },
  });
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    failure ??= invalidSource(`archive entry '${entry.path}' has an unsupported type (${entry.type})`);
    parser.abort(failure as Error);
  });
  try {
    await feed(inflated(file, limits), parser, 'end');
  } catch (err) {
    throw failure ?? asSourceError(err);
  }
  if (failure !== undefined) throw failure;
  checker.finish();
}

async function unpackOnce(archive: string, target: string, limits: UnpackLimits): Promise<void> {
  const tmp = await fs.mkdtemp(`${target}.tmp-`);
  try {
    // Not strict: an entry that cannot be written (a file, then a folder of the same name; a
    // folder, then a file over it) is a warning and extraction carries on to the end. Strict
    // mode rejected at the first one while other entries were still being written, so the clean-
    // up raced them (ENOTEMPTY), and the plain fs error, with the server's paths in it, became a
    // 500: found by test/fuzz/tarball-checker.test.ts.
    const problems: string[] = [];
    const unpack = new Unpack({
      cwd: tmp,
      strict: false,
      preserveOwner: false,
      // node-tar passes an fs error as `data` (its code and path on it), with the entry.
      // TAR_ENTRY_INFO is information (a path prefix stripped), not a failure.
      onwarn: (code, _message, data) => {
        if (code === 'TAR_ENTRY_INFO') return;
        const { entry, code: errno } = data as { entry?: { path?: string }; code?: string };
        problems.push(entry?.path === undefined ? (errno ?? code) : `'${entry.path}' (${errno ?? code})`);
      },
    });
    try {
      await feed(inflated(archive, limits), unpack, 'close');
    } catch (err) {
      throw asSourceError(err);
    }
    if (problems.length > 0) {
      throw invalidSource(
        `the archive could not be unpacked: ${problems.slice(0, 3).join(', ')}${problems.length > 3 ? `, … (${problems.length} in all)` : ''}`,
        'Each path in the archive must be either a file or a folder, once.',
      );
    }
    await makePrivate(tmp);
    try {
      await fs.rename(tmp, target);
    } catch (err) {
      // Another upload of the same archive won the race: its copy is identical.
      if (!(await exists(target))) throw err;
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The stored source is Wharf's alone: folders 0700, files 0600 (0700 when the archive made them
 * executable). tar applies the archive's modes (often 0644/0755) whatever the umask.
 */
async function makePrivate(root: string): Promise<void> {
  await fs.chmod(root, 0o700);
  for (const entry of await fs.readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isSymbolicLink()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isDirectory()) await fs.chmod(file, 0o700);
    else await fs.chmod(file, ((await fs.lstat(file)).mode & 0o100) !== 0 ? 0o700 : 0o600);
  }
}

/** tar's Parser is not a Node stream: pipe into it and wait for its own end event. */
function feed(input: Readable, parser: Parser, endEvent: 'end' | 'close'): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      if (err === undefined) resolve();
      else {
        input.destroy();
        reject(err);
      }
    };
    input.on('error', settle);
    parser.on('error', settle);
    // After the end-of-archive blocks tar's parser keeps concatenating whatever follows into one
    // buffer (quadratic: 16 MiB of trailing zeros cost 10 s): stop reading there.
    parser.on('eof', () => {
      input.unpipe(parser as unknown as NodeJS.WritableStream);
      input.destroy();
      parser.end();
    });
    parser.on(endEvent, () => settle());
    input.pipe(parser as unknown as NodeJS.WritableStream);
  });
}

function asSourceError(err: unknown): WharfError {
  if (err instanceof WharfError) return err;
  return notArchive(err instanceof Error ? err.message : String(err));
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
