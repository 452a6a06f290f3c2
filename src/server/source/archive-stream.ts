import { createReadStream, promises as fs } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { formatBytes, invalidSource } from './check-entry.js';

// The one way an uploaded .tar.gz is read: file → gunzip → a meter that counts what the gzip
// data inflates to. A bomb (10 GB of zeros in 46 MB) is stopped after a few MiB by the ratio,
// and anything else by the total, so reading costs constant memory and bounded time.

export interface InflateLimits {
  /** Most bytes the archive may inflate to (the tar stream, headers and padding included). */
  maxUnpackedBytes: number;
  /** Most inflated bytes per compressed byte, checked once `ratioFloorBytes` have been inflated. */
  maxRatio: number;
  ratioFloorBytes: number;
}

const HINT = 'Leave out generated folders and large generated files with .gitignore or .wharfignore, or raise WHARF_MAX_UNPACKED_BYTES / WHARF_MAX_UNPACK_RATIO on the server.';

export async function assertGzip(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  const magic = Buffer.alloc(2);
  try {
    await handle.read(magic, 0, 2, 0);
  } finally {
    await handle.close();
  }
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) throw notArchive('it does not start like gzip data');
}

export function notArchive(detail: string) {
  return invalidSource(`the upload is not a .tar.gz archive (${detail})`, 'Upload the folder with `wharf up`, or send a gzip-compressed tar archive.');
}

/** The inflated tar stream of `file`; errors (a WharfError when a limit is passed) end it. */
export function inflated(file: string, limits: InflateLimits): Readable {
  let compressed = 0;
  let raw = 0;
  const input = createReadStream(file);
  input.on('data', (chunk: Buffer | string) => (compressed += chunk.length));
  const gunzip = createGunzip();
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      raw += chunk.length;
      if (raw > limits.maxUnpackedBytes) {
        done(invalidSource(`the archive decompresses to more than ${formatBytes(limits.maxUnpackedBytes)}`, HINT));
        return;
      }
      if (raw > limits.ratioFloorBytes && raw / Math.max(compressed, 1) > limits.maxRatio) {
        done(
          invalidSource(
            `the archive decompresses to more than ${limits.maxRatio} times its size (${formatBytes(raw)} from the first ${formatBytes(compressed)}): a decompression bomb?`,
            HINT,
          ),
        );
        return;
      }
      done(null, chunk);
    },
  });
  const fail = (err: Error) => meter.destroy(err);
  input.on('error', fail);
  gunzip.on('error', (err: Error) => fail(notArchive(err.message)));
  // Stop reading and inflating as soon as the meter (or its reader) gives up.
  meter.on('close', () => {
    input.destroy();
    gunzip.destroy();
  });
  input.pipe(gunzip).pipe(meter);
  return meter;
}
