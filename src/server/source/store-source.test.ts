import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { create } from 'tar';
import { isWharfError } from '../../core/errors.js';
import { storeSource } from './store-source.js';
import { tarBomb, tarGz, type TarEntry } from '../../../test/helpers/tarball.js';

type Entry = TarEntry;

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-sources-'));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function rejects(body: Buffer, code: string, match: RegExp, opts: { maxUploadBytes?: number; maxEntries?: number; maxUnpackedBytes?: number; maxRatio?: number } = {}) {
  await withDir(async (sourcesDir) => {
    await assert.rejects(storeSource(Readable.from([body]), { sourcesDir, ...opts }), (err: unknown) => {
      assert.ok(isWharfError(err), String(err));
      assert.equal(err.code, code);
      assert.match(err.message, match);
      assert.ok(err.hint);
      return true;
    });
    // Nothing but the (empty) store is left behind.
    assert.deepEqual(await fs.readdir(sourcesDir), []);
  });
}

const ok: Entry[] = [
  { name: 'app/', type: '5' },
  { name: 'app/index.js', body: 'console.log(1)\n' },
  { name: 'app/link.js', type: '2', link: 'index.js' },
];

test('a well-formed archive is stored under its digest, and reused', async () => {
  await withDir(async (sourcesDir) => {
    const body = tarGz(ok);
    const first = await storeSource(Readable.from([body]), { sourcesDir });
    assert.match(first.digest, /^[0-9a-f]{64}$/);
    assert.equal(first.path, path.join(sourcesDir, first.digest));
    assert.equal(await fs.readFile(path.join(first.path, 'app/index.js'), 'utf8'), 'console.log(1)\n');
    assert.equal(await fs.readlink(path.join(first.path, 'app/link.js')), 'index.js');
    const second = await storeSource(Readable.from([body]), { sourcesDir });
    assert.deepEqual(second, first);
    assert.deepEqual(await fs.readdir(sourcesDir), [first.digest]);
  });
});

test('an archive made by the tar package is accepted', async () => {
  await withDir(async (dir) => {
    const src = path.join(dir, 'src');
    await fs.mkdir(path.join(src, 'lib'), { recursive: true });
    await fs.writeFile(path.join(src, 'lib', 'a.txt'), 'a');
    await fs.symlink('lib/a.txt', path.join(src, 'a-link'));
    const file = path.join(dir, 'x.tar.gz');
    await create({ gzip: true, cwd: src, file, portable: true }, ['.']);
    const stored = await storeSource(Readable.from([await fs.readFile(file)]), { sourcesDir: path.join(dir, 'sources') });
    assert.equal(await fs.readFile(path.join(stored.path, 'a-link'), 'utf8'), 'a');
  });
});

const malicious: Array<[string, Entry[], RegExp]> = [
  ['a ../ entry', [{ name: '../evil', body: 'x' }], /'\.\.\/evil'.*'\.\.'/],
  ['a nested .. entry', [{ name: 'a/../../evil', body: 'x' }], /'a\/\.\.\/\.\.\/evil'/],
  ['an absolute path', [{ name: '/etc/evil', body: 'x' }], /'\/etc\/evil' has an absolute path/],
  ['an absolute symlink', [{ name: 'passwd', type: '2', link: '/etc/passwd' }], /'passwd' is a symlink to the absolute path/],
  ['a relative symlink escaping the root', [{ name: 'a/up', type: '2', link: '../../x' }], /'a\/up' is a symlink to '\.\.\/\.\.\/x', outside/],
  ['a hard link', [{ name: 'a', body: 'x' }, { name: 'b', type: '1', link: 'a' }], /'b' is a hard link/],
  ['a device', [{ name: 'tty', type: '3' }], /'tty' is a device file/],
  ['a fifo', [{ name: 'pipe', type: '6' }], /'pipe' is a named pipe/],
  [
    'a chain of symlinks that climbs out once followed',
    [
      { name: 'deep/a/b/c/d/', type: '5' },
      { name: 'deep/a/b/c/d/up', type: '2', link: '../../../../..' },
      { name: 'esc', type: '2', link: 'deep/a/b/c/d/up/../../../../../..' },
    ],
    /'esc' is a symlink to 'deep\/a\/b\/c\/d\/up\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.', which leads outside the source/,
  ],
  ['a link that reaches out through a link defined later', [{ name: 'x', type: '2', link: 'd/up/..' }, { name: 'd/', type: '5' }, { name: 'd/up', type: '2', link: '..' }], /'x' is a symlink to 'd\/up\/\.\.', which leads outside/],
  ['a loop of symlinks', [{ name: 'a', type: '2', link: 'b' }, { name: 'b', type: '2', link: 'a' }], /in a loop of symlinks/],
  ['the same path twice', [{ name: 'x', body: 'one' }, { name: 'x', type: '2', link: 'y' }], /'x' appears more than once/],
  ['an entry written through a symlink', [{ name: 'l', type: '2', link: '.' }, { name: 'l/x', body: 'x' }], /'l\/x' lies beneath the symlink 'l'/],
];

for (const [name, entries, match] of malicious) {
  test(`rejects ${name}`, () => rejects(tarGz(entries), 'INVALID_SOURCE', match));
}

test('rejects an upload over the limit, naming the limit', () => rejects(tarGz(ok), 'SOURCE_TOO_LARGE', /100 bytes/, { maxUploadBytes: 100 }));

test('rejects too many entries and too many unpacked bytes', async () => {
  await rejects(tarGz(ok), 'INVALID_SOURCE', /more than 2 entries/, { maxEntries: 2 });
  await rejects(tarGz([{ name: 'big', body: 'x'.repeat(5000) }]), 'INVALID_SOURCE', /(unpacks|decompresses) to more than/, { maxUnpackedBytes: 1000 });
});

test('rejects a garbage body and a non-tar gzip', async () => {
  await rejects(Buffer.from('this is not an archive at all'), 'INVALID_SOURCE', /not a \.tar\.gz archive/);
  await rejects(gzipSync(Buffer.from('plain text, gzipped, not a tarball')), 'INVALID_SOURCE', /not a \.tar\.gz archive/);
  await rejects(Buffer.concat([tarGz(ok).subarray(0, 40)]), 'INVALID_SOURCE', /not a \.tar\.gz archive/);
});

test('rejects a tar bomb by its ratio after the first MiBs, and a big inflated stream by its total', async () => {
  await rejects(tarBomb(128), 'INVALID_SOURCE', /decompresses to more than 100 times its size/);
  await rejects(tarBomb(64), 'INVALID_SOURCE', /(unpacks|decompresses) to more than 1 MiB/, { maxUnpackedBytes: 1024 * 1024, maxRatio: 1e6 });
});
