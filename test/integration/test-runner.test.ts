import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { REPO } from '../helpers/wharf.js';

// scripts/run-tests.mjs holds the skip policy: under CI=true a skipped test fails the run unless
// it is on the runner's allow-list. The real runner runs here on a copy of the repository's
// layout holding only the fixture test files below.

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** A repository layout with the runner, its reporter and these test files (path → source). */
async function layout(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wharf-runner-'));
  roots.push(root);
  await mkdir(path.join(root, 'scripts'));
  await mkdir(path.join(root, 'src'));
  await mkdir(path.join(root, 'test'));
  await cp(path.join(REPO, 'scripts/run-tests.mjs'), path.join(root, 'scripts/run-tests.mjs'));
  await cp(path.join(REPO, 'scripts/skipped-reporter.mjs'), path.join(root, 'scripts/skipped-reporter.mjs'));
  await symlink(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  for (const [file, source] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), source);
  }
  return root;
}

function run(root: string, ci: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  // Not a subtest of this run: without node:test's context variable the child is a run of its own.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  if (ci) env.CI = 'true';
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/run-tests.mjs'], { cwd: root, env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const UNLISTED = `import { describe, test } from 'node:test';
test('passes', () => {});
describe('needs a thing', () => {
  test('uses it', (t) => { t.skip('the thing is not installed'); });
});
`;

test('under CI=true a skip not on the allow-list fails the run, naming the test and its reason; node\'s summary is still printed', async () => {
  const root = await layout({ 'test/integration/thing.test.ts': UNLISTED });
  const { code, stdout, stderr } = await run(root, true);
  assert.equal(code, 1, `${stdout}\n${stderr}`);
  assert.match(stderr, /test\/integration\/thing\.test\.ts: needs a thing > uses it \(the thing is not installed\)/);
  assert.match(stdout, /^# tests 2$/m);
  assert.match(stdout, /^# skipped 1$/m);
  assert.match(stdout, /^# fail 0$/m);
});

test('a skipped suite counts as a skip; one on the allow-list (MongoDB) passes under CI=true; without CI an unlisted skip is only reported', async () => {
  const suite = await layout({ 'test/e2e/suite.test.ts': `import { describe, test } from 'node:test';\ndescribe('whole suite', { skip: 'no openssl' }, () => { test('x', () => {}); });\n` });
  const skippedSuite = await run(suite, true);
  assert.equal(skippedSuite.code, 1, 'a skipped suite is a skip too');
  assert.match(skippedSuite.stderr, /test\/e2e\/suite\.test\.ts: whole suite \(no openssl\)/);

  const allowed = await layout({
    'test/integration/mongo.test.ts': `import { describe, test } from 'node:test';\ndescribe('Mongo provider', { skip: 'mongod is not installed' }, () => { test('x', () => {}); });\n`,
  });
  const ci = await run(allowed, true);
  assert.equal(ci.code, 0, `${ci.stdout}\n${ci.stderr}`);
  // (node's summary does not count a skipped suite; the runner's check does)
  assert.match(ci.stdout, /# SKIP mongod is not installed/);

  const unlisted = await layout({ 'src/thing.test.ts': UNLISTED });
  const local = await run(unlisted, false);
  assert.equal(local.code, 0, `${local.stdout}\n${local.stderr}`);
  assert.match(local.stderr, /src\/thing\.test\.ts: needs a thing > uses it/);
});

test('a failing test still fails the run with the allow-list satisfied', async () => {
  const root = await layout({ 'src/broken.test.ts': `import assert from 'node:assert/strict';\nimport { test } from 'node:test';\ntest('fails', () => assert.equal(1, 2));\n` });
  const { code, stdout, stderr } = await run(root, true);
  assert.equal(code, 1, `${stdout}\n${stderr}`);
  assert.match(stdout, /^# fail 1$/m);
});
