import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildPlan } from '../../core/build.js';
import { isWharfError } from '../../core/errors.js';
import { ARTIFACT_FILE, buildRelease, removeRelease } from './execute.js';
import { staticServerArgv } from './static/static-builder.js';

async function withSource<T>(files: Record<string, string>, fn: (dirs: { source: string; releases: string }) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-execute-'));
  try {
    const source = path.join(dir, 'source');
    await fs.mkdir(source);
    for (const [rel, content] of Object.entries(files)) await fs.writeFile(path.join(source, rel), content);
    return await fn({ source, releases: path.join(dir, 'releases') });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const plan = (steps: string[][], start: string[] = ['node', 'x.js'], builder: BuildPlan['builder'] = 'COMMANDS'): BuildPlan => ({
  builder,
  summary: 'test plan',
  steps: steps.map((argv) => ({ name: 'build', argv })),
  start: { argv: start, kind: 'web' },
});

test('runs each step in a copy, logs, records the plan and renames into place', async () => {
  await withSource({ 'a.txt': 'a' }, async ({ source, releases }) => {
    const lines: Array<[string, string]> = [];
    const releaseDir = path.join(releases, 'rel_1');
    const p = plan([['sh', '-c', 'cat a.txt > b.txt && echo "built $GREETING $CI"'], ['node', '-e', 'console.error("to stderr")']]);
    await buildRelease(p, { path: source, digest: 'd1' }, { releaseDir, env: { GREETING: 'hi' }, log: (l, s) => lines.push([s, l]) });
    assert.equal(await fs.readFile(path.join(releaseDir, 'b.txt'), 'utf8'), 'a');
    await assert.rejects(fs.access(path.join(source, 'b.txt')), 'the source stays untouched');
    const artifact = JSON.parse(await fs.readFile(path.join(releaseDir, ARTIFACT_FILE), 'utf8'));
    assert.deepEqual(artifact.plan, p);
    assert.ok(Date.parse(artifact.createdAt));
    assert.ok(lines.some(([s, l]) => s === 'sys' && l === '==> [1/2] cat a.txt > b.txt && echo "built $GREETING $CI"'));
    assert.ok(lines.some(([s, l]) => s === 'sys' && l.startsWith('==> [2/2] node -e')));
    assert.ok(lines.some(([s, l]) => s === 'out' && l === 'built hi true'));
    assert.ok(lines.some(([s, l]) => s === 'err' && l === 'to stderr'));
    assert.deepEqual(await fs.readdir(releases), ['rel_1']);
    await removeRelease(releaseDir);
    assert.deepEqual(await fs.readdir(releases), []);
  });
});

test('a failing step is BUILD_FAILED and leaves nothing behind', async () => {
  await withSource({}, async ({ source, releases }) => {
    const releaseDir = path.join(releases, 'rel_2');
    await assert.rejects(
      buildRelease(plan([['true'], ['sh', '-c', 'exit 3']]), { path: source, digest: 'd' }, { releaseDir, env: {}, log: () => {} }),
      (err: unknown) => isWharfError(err) && err.code === 'BUILD_FAILED' && err.message === "step 'exit 3' exited with code 3" && /wharf logs --build/.test(err.hint!),
    );
    assert.deepEqual(await fs.readdir(releases), []);
  });
});

test('a missing program is BUILD_FAILED naming it', async () => {
  await withSource({}, async ({ source, releases }) => {
    await assert.rejects(
      buildRelease(plan([['wharf-no-such-program-x', 'install']]), { path: source, digest: 'd' }, { releaseDir: path.join(releases, 'r'), env: {}, log: () => {} }),
      (err: unknown) => isWharfError(err) && err.code === 'BUILD_FAILED' && /'wharf-no-such-program-x' is not installed/.test(err.message),
    );
  });
});

test('a timed-out step is BUILD_FAILED', async () => {
  await withSource({}, async ({ source, releases }) => {
    await assert.rejects(
      buildRelease(plan([['sleep', '5']]), { path: source, digest: 'd' }, { releaseDir: path.join(releases, 'r'), env: {}, log: () => {}, timeoutMs: 200 }),
      (err: unknown) => isWharfError(err) && err.code === 'BUILD_FAILED' && /took longer/.test(err.message),
    );
  });
});

test('a static build that produces no index.html fails', async () => {
  await withSource({}, async ({ source, releases }) => {
    const p = plan([['true']], staticServerArgv(['dist', 'build', 'public', 'out', '.']), 'STATIC');
    await assert.rejects(
      buildRelease(p, { path: source, digest: 'd' }, { releaseDir: path.join(releases, 'r'), env: {}, log: () => {} }),
      (err: unknown) => isWharfError(err) && err.code === 'BUILD_FAILED' && /no index\.html in dist\//.test(err.message),
    );
  });
});
