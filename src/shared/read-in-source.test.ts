import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isWharfError } from '../core/errors.js';
import { readRailwayConfig } from './config/railway-config.js';
import { readProcfile } from './config/procfile.js';
import { isSourceFile, readSourceText } from './read-in-source.js';

// A source on disk whose links lead out of it (as if the upload check had missed them): reading
// its config files refuses them and never shows what lies outside.

async function withSource(fn: (root: string, secret: string) => Promise<void>) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-read-in-source-'));
  try {
    const secret = path.join(dir, 'secret.key');
    await fs.writeFile(secret, 'web: the-secret-key-line\n');
    const root = path.join(dir, 'sources', 'abc');
    await fs.mkdir(path.join(root, 'deep/a/b/c/d'), { recursive: true });
    await fs.symlink('../../../../..', path.join(root, 'deep/a/b/c/d/up'));
    await fs.symlink('deep/a/b/c/d/up/../..', path.join(root, 'esc'));
    await fs.writeFile(path.join(root, 'inside.json'), '{}');
    await fn(root, secret);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function refusedWithoutContent(err: unknown): boolean {
  assert.ok(isWharfError(err), String(err));
  assert.equal(err.code, 'INVALID_SOURCE');
  assert.match(err.message, /leads outside the source/);
  assert.doesNotMatch(err.message + (err.hint ?? ''), /the-secret-key-line/);
  return true;
}

test('railway.json and the Procfile linked out of the source (through a chain) are refused, not read', async () => {
  await withSource(async (root) => {
    await fs.symlink('esc/secret.key', path.join(root, 'railway.json'));
    await fs.symlink('esc/secret.key', path.join(root, 'Procfile'));
    await assert.rejects(readRailwayConfig(root, 'production'), refusedWithoutContent);
    await assert.rejects(readProcfile(root), refusedWithoutContent);
    await assert.rejects(isSourceFile(root, 'Procfile'), refusedWithoutContent);
  });
});

test('an absolute or dangling link out is refused too; links inside and absent files are fine', async () => {
  await withSource(async (root, secret) => {
    await fs.symlink(secret, path.join(root, 'abs'));
    await fs.symlink('../../nowhere', path.join(root, 'dangling'));
    await fs.symlink('inside.json', path.join(root, 'in-link'));
    await assert.rejects(readSourceText(root, 'abs'), refusedWithoutContent);
    await assert.rejects(readSourceText(root, 'dangling'), refusedWithoutContent);
    assert.equal(await readSourceText(root, 'in-link'), '{}');
    assert.equal(await readSourceText(root, 'absent'), null);
    assert.equal(await readSourceText(root, 'deep'), null);
  });
});
