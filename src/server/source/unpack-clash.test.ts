import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { tarGz, type TarEntry } from '../../../test/helpers/tarball.js';
import { isWharfError } from '../../core/errors.js';
import { storeSource } from './store-source.js';

// Entries that pass the listing but clash on disk. Before: a plain fs error (EEXIST, ENOTEMPTY)
// with the server's temp path in its message, a 500, sometimes with the temp folder left behind.
const CLASHES: Array<[string, TarEntry[]]> = [
  ['a file, then a folder of the same name', [{ name: 'x.txt', body: 'x' }, { name: 'x.txt/inner', body: 'y' }]],
  ['a folder with a file, then a file over the folder', [{ name: 'd/inner', body: 'y' }, { name: 'd', body: 'x' }]],
];

for (const [what, entries] of CLASHES) {
  test(`an archive with ${what} is refused with INVALID_SOURCE, nothing left behind`, async () => {
    const sourcesDir = await mkdtemp(path.join(os.tmpdir(), 'wharf-sources-'));
    try {
      await assert.rejects(storeSource(Readable.from([tarGz(entries)]), { sourcesDir }), (err: unknown) => {
        assert.ok(isWharfError(err), String(err));
        assert.equal(err.code, 'INVALID_SOURCE');
        assert.match(err.message, /^the archive could not be unpacked: '/);
        assert.ok(!err.message.includes(sourcesDir), `no server path in: ${err.message}`);
        return true;
      });
      assert.deepEqual(await readdir(sourcesDir), []);
    } finally {
      await rm(sourcesDir, { recursive: true, force: true });
    }
  });
}
