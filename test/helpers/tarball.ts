import { gzipSync } from 'node:zlib';

// Hand-made tar entries: the `tar` package refuses to write the malicious ones tests need.
export type TarEntry = { name: string; type?: '0' | '1' | '2' | '3' | '5' | '6'; body?: string; link?: string };

function header(entry: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (value: string, offset: number, length: number) => h.write(value, offset, length, 'utf8');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0') + '\0';
  put(entry.name, 0, 100);
  put(octal(entry.type === '5' ? 0o755 : 0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(1700000000, 12), 136, 12);
  put('        ', 148, 8);
  put(entry.type ?? '0', 156, 1);
  put(entry.link ?? '', 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

export function tarGz(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    blocks.push(header(entry, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

const ZEROS_MEMBER_MIB = 64;
let zerosMember: Buffer | undefined;
/** 64 MiB of zeros, gzipped once (≈ 64 KB): concatenated gzip members are one valid gzip stream. */
function zeros(): Buffer {
  zerosMember ??= gzipSync(Buffer.alloc(ZEROS_MEMBER_MIB * 1024 * 1024), { level: 9 });
  return zerosMember;
}

/** Gzipped zeros, not a tar: `mib` MiB inflated (rounded up to 64 MiB) from ≈ mib KB. */
export function gzipBomb(mib: number): Buffer {
  return Buffer.concat(Array.from({ length: Math.ceil(mib / ZEROS_MEMBER_MIB) }, zeros));
}

/** A valid .tar.gz of one file `zeros.bin` of `mib` MiB of zeros (a multiple of 64), ≈ mib KB. */
export function tarBomb(mib: number): Buffer {
  const members = Math.ceil(mib / ZEROS_MEMBER_MIB);
  return tarOfGzippedBody('zeros.bin', members * ZEROS_MEMBER_MIB * 1024 * 1024, [gzipBomb(mib)]);
}

/** A .tar.gz of one file whose body is given already gzipped (members that inflate to exactly `size` bytes). */
export function tarOfGzippedBody(name: string, size: number, body: Buffer[]): Buffer {
  const padding = (512 - (size % 512)) % 512;
  return Buffer.concat([gzipSync(header({ name }, size)), ...body, gzipSync(Buffer.alloc(padding + 1024))]);
}
