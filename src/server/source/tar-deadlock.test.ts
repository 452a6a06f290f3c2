import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { tarGz } from '../../../test/helpers/tarball.js';
import { isWharfError } from '../../core/errors.js';
import { storeSource } from './store-source.js';
import { deadlocksExtraction } from './tar-deadlock.js';

test('links whose target names a folder they lie in (or the other way round) are the ones node-tar waits on forever', () => {
  assert.equal(deadlocksExtraction('a/b/up', 'a'), true);
  assert.equal(deadlocksExtraction('a/b/up', 'a/b/'), true);
  assert.equal(deadlocksExtraction('a/up', './a'), true);
  assert.equal(deadlocksExtraction('A/up', 'a'), true, 'case-folded, as node-tar does');
  assert.equal(deadlocksExtraction('a', 'a/b'), true);
  assert.equal(deadlocksExtraction('a\\b', 'a\\b/b/up'), true, 'a backslash is part of a name for node-tar on Linux');
  assert.equal(deadlocksExtraction('a/b/up', '../b'), false);
  assert.equal(deadlocksExtraction('a/b/up', '..'), false);
  assert.equal(deadlocksExtraction('up', 'a'), false);
  assert.equal(deadlocksExtraction('node_modules/.bin/tsc', '../typescript/bin/tsc'), false);
});

// Before: storeSource never settled (the test timed out) and left its temporary files.
test('an upload holding such a link is refused at once instead of hanging', { timeout: 10_000 }, async () => {
  const sourcesDir = await mkdtemp(path.join(os.tmpdir(), 'wharf-sources-'));
  try {
    const upload = tarGz([{ name: 'index.js', body: 'x' }, { name: 'c/up', type: '2', link: 'c' }]);
    await assert.rejects(storeSource(Readable.from([upload]), { sourcesDir }), (err: unknown) => {
      assert.ok(isWharfError(err), String(err));
      assert.equal(err.code, 'INVALID_SOURCE');
      assert.match(err.message, /'c\/up' is a symlink to 'c', a path it lies inside/);
      return true;
    });
    assert.deepEqual(await readdir(sourcesDir), []);
  } finally {
    await rm(sourcesDir, { recursive: true, force: true });
  }
});
