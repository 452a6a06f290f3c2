import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO } from './helpers/wharf.js';

// What `npm run build` puts in dist/ is what ships: the product, never a test's helpers. tsc
// compiles every file the build's sources import even when tsconfig.json excludes it, so the
// check is on the list of files the build compiles, not on the exclude list.

/** Modules under src/ that exist for tests only (tsconfig.test.json still type-checks them). */
const TEST_ONLY = [/\.test\.ts$/, /\.contract\.ts$/, /\/runtimes\/contract-helpers\.ts$/, /\/scheduler\/fakes\.ts$/, /\/mysql\/test-server\.ts$/];

test('the build compiles no test-only module and nothing outside src/', async () => {
  const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');
  const { stdout } = await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.json', '--listFilesOnly'], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
  const ours = stdout
    .split('\n')
    .filter((f) => f.endsWith('.ts') && !f.includes('/node_modules/'))
    .map((f) => path.relative(REPO, f));
  assert.ok(ours.some((f) => f === 'src/server/main.ts'), `the build lists its sources: ${ours.slice(0, 5).join(', ')}`);
  assert.deepEqual(ours.filter((f) => !f.startsWith('src/')), [], 'files from outside src/ would land outside dist/');
  assert.deepEqual(ours.filter((f) => TEST_ONLY.some((re) => re.test(f))), [], 'test-only modules would ship in dist/');
});
