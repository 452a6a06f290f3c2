import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SourceDir } from '../../core/build.js';
import { WharfError } from '../../core/errors.js';
import { formatBytes } from './check-entry.js';
import { runUnpack } from './run-unpack.js';
import type { UnpackLimits } from './unpack.js';

// Uploaded .tar.gz → <sourcesDir>/<sha256>, content-addressed and written once: stream to a
// temp file while hashing, then (in a worker thread, through a bounded inflater) list and check
// every entry, extract into a temp folder beside the target and rename it into place.

export interface StoreSourceOptions {
  sourcesDir: string;
  /** Default 200 MiB, or WHARF_MAX_UPLOAD_BYTES. */
  maxUploadBytes?: number;
  /** What the gzip data may inflate to. Default 2 GiB, or WHARF_MAX_UNPACKED_BYTES. */
  maxUnpackedBytes?: number;
  /** Inflated bytes per compressed byte, past the first 16 MiB. Default 100, or WHARF_MAX_UNPACK_RATIO. */
  maxRatio?: number;
  /** Default 200k. */
  maxEntries?: number;
  /** Wall-clock limit of the check and extraction. Default 5 min, or WHARF_UNPACK_TIMEOUT_MS. */
  timeoutMs?: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
export const DEFAULT_MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024;
export const DEFAULT_MAX_UNPACK_RATIO = 100;
export const DEFAULT_MAX_ENTRIES = 200_000;
export const DEFAULT_UNPACK_TIMEOUT_MS = 5 * 60_000;
const RATIO_FLOOR_BYTES = 16 * 1024 * 1024;
const WORKER_HEAP_MB = 256;

const UPLOAD_PREFIX = '.upload-';
const TMP_MARK = '.tmp-';

export async function storeSource(body: Readable, opts: StoreSourceOptions): Promise<SourceDir> {
  const maxUploadBytes = opts.maxUploadBytes ?? envNumber('WHARF_MAX_UPLOAD_BYTES') ?? DEFAULT_MAX_UPLOAD_BYTES;
  const limits: UnpackLimits = {
    maxUnpackedBytes: opts.maxUnpackedBytes ?? envNumber('WHARF_MAX_UNPACKED_BYTES') ?? DEFAULT_MAX_UNPACKED_BYTES,
    maxRatio: opts.maxRatio ?? envNumber('WHARF_MAX_UNPACK_RATIO') ?? DEFAULT_MAX_UNPACK_RATIO,
    ratioFloorBytes: RATIO_FLOOR_BYTES,
    maxEntries: opts.maxEntries ?? DEFAULT_MAX_ENTRIES,
  };
  const timeoutMs = opts.timeoutMs ?? envNumber('WHARF_UNPACK_TIMEOUT_MS') ?? DEFAULT_UNPACK_TIMEOUT_MS;
  await fs.mkdir(opts.sourcesDir, { recursive: true, mode: 0o700 });
  const tmpArchive = path.join(opts.sourcesDir, `${UPLOAD_PREFIX}${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}.tar.gz`);
  let target: string | undefined;
  try {
    const digest = await receive(body, tmpArchive, maxUploadBytes);
    target = path.join(opts.sourcesDir, digest);
    if (await exists(target)) return { path: target, digest };
    await runUnpack({ archive: tmpArchive, target, limits }, { timeoutMs, heapMb: WORKER_HEAP_MB });
    return { path: target, digest };
  } catch (err) {
    // A worker stopped mid-way (timeout, out of memory) leaves its temp folder: remove it.
    if (target) await removeTemps(opts.sourcesDir, (name) => name.startsWith(`${path.basename(target!)}${TMP_MARK}`));
    throw err;
  } finally {
    await fs.rm(tmpArchive, { force: true });
  }
}

/** At start-up: uploads and extractions a crash or restart cut short are garbage. */
export async function removeStaleUploads(sourcesDir: string): Promise<string[]> {
  return removeTemps(sourcesDir, (name) => name.startsWith(UPLOAD_PREFIX) || name.includes(TMP_MARK));
}

async function removeTemps(dir: string, match: (name: string) => boolean): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const stale = names.filter(match);
  for (const name of stale) await fs.rm(path.join(dir, name), { recursive: true, force: true });
  return stale;
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
  await pipeline(body, meter, createWriteStream(file, { mode: 0o600 }));
  return hash.digest('hex');
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (!raw) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
