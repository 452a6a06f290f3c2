import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, extract, type ReadEntry } from 'tar';
import type { SourceDir } from '../../core/build.js';
import { WharfError } from '../../core/errors.js';
import { ArchiveChecker, formatBytes, invalidSource, type ArchiveLimits } from './check-entry.js';

// Uploaded .tar.gz → <sourcesDir>/<sha256>, content-addressed and written once:
// stream to a temp file while hashing, list and check every entry, only then extract
// into a temp folder beside the target and rename it into place.

export interface StoreSourceOptions {
  sourcesDir: string;
  /** Default 200 MiB, or WHARF_MAX_UPLOAD_BYTES. */
  maxUploadBytes?: number;
  /** Default 2 GiB. */
  maxUnpackedBytes?: number;
  /** Default 200k. */
  maxEntries?: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
export const DEFAULT_MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024;
export const DEFAULT_MAX_ENTRIES = 200_000;

export async function storeSource(body: Readable, opts: StoreSourceOptions): Promise<SourceDir> {
  const maxUploadBytes = opts.maxUploadBytes ?? envBytes('WHARF_MAX_UPLOAD_BYTES') ?? DEFAULT_MAX_UPLOAD_BYTES;
  const limits: ArchiveLimits = {
    maxUnpackedBytes: opts.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES,
    maxEntries: opts.maxEntries ?? DEFAULT_MAX_ENTRIES,
  };
  await fs.mkdir(opts.sourcesDir, { recursive: true });
  const tmpArchive = path.join(opts.sourcesDir, `.upload-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}.tar.gz`);
  try {
    const digest = await receive(body, tmpArchive, maxUploadBytes);
    const target = path.join(opts.sourcesDir, digest);
    if (await exists(target)) return { path: target, digest };
    await checkArchive(tmpArchive, limits);
    await unpackOnce(tmpArchive, target);
    return { path: target, digest };
  } finally {
    await fs.rm(tmpArchive, { force: true });
  }
}

async function receive(body: Readable, file: string, maxBytes: number): Promise<string> {
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        done(
          new WharfError('SOURCE_TOO_LARGE', `the upload is larger than the limit of ${formatBytes(maxBytes)}`, {
            hint: 'Leave out generated folders (node_modules, build output) with .gitignore or .wharfignore, or raise WHARF_MAX_UPLOAD_BYTES on the server.',
          }),
        );
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(body, meter, createWriteStream(file));
  return hash.digest('hex');
}

async function checkArchive(file: string, limits: ArchiveLimits): Promise<void> {
  const handle = await fs.open(file, 'r');
  const magic = Buffer.alloc(2);
  try {
    await handle.read(magic, 0, 2, 0);
  } finally {
    await handle.close();
  }
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) throw notArchive('it does not start like gzip data');

  const checker = new ArchiveChecker(limits);
  await new Promise<void>((resolve, reject) => {
    const input = createReadStream(file);
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      input.destroy();
      reject(err);
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        try {
          checker.check({ path: entry.path, type: entry.type, size: entry.size ?? 0, linkpath: entry.linkpath });
        } catch (err) {
          fail(err);
        }
        entry.resume();
      },
    });
    parser.on('ignoredEntry', (entry: ReadEntry) => fail(invalidSource(`archive entry '${entry.path}' has an unsupported type (${entry.type})`)));
    parser.on('error', (err: Error) => fail(err instanceof WharfError ? err : notArchive(err.message)));
    parser.on('end', () => {
      if (failed) return;
      try {
        checker.finish();
        resolve();
      } catch (err) {
        fail(err);
      }
    });
    input.on('error', fail);
    input.pipe(parser);
  });
}

function notArchive(detail: string): WharfError {
  return invalidSource(`the upload is not a .tar.gz archive (${detail})`, 'Upload the folder with `wharf up`, or send a gzip-compressed tar archive.');
}

async function unpackOnce(archive: string, target: string): Promise<void> {
  const tmp = await fs.mkdtemp(`${target}.tmp-`);
  try {
    // Not strict: an entry that cannot be written (a file, then a folder of the same name; a
    // folder, then a file over it) is a warning and extraction carries on to the end. Strict
    // mode rejected at the first one while other entries were still being written, so the clean-
    // up raced them (ENOTEMPTY), and the plain fs error, with the server's paths in it, became a
    // 500: found by test/fuzz/tarball-checker.test.ts.
    const problems: string[] = [];
    await extract({
      file: archive,
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
    if (problems.length > 0) {
      throw invalidSource(`the archive could not be unpacked: ${problems.slice(0, 3).join(', ')}${problems.length > 3 ? `, … (${problems.length} in all)` : ''}`, 'Each path in the archive must be either a file or a folder, once.');
    }
    await fs.chmod(tmp, 0o755);
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

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

function envBytes(name: string): number | undefined {
  const raw = process.env[name];
  if (!raw) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
