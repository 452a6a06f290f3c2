#!/usr/bin/env node
// `npm test`: finds every *.test.ts (Node 20's test runner has no globs) and runs them with
// node:test under tsx, one file at a time: unit tests beside the code, then test/integration,
// then test/e2e (real servers, real processes). Arguments filter files by substring.
//
// Under CI=true a skipped test fails the run unless it is on ALLOWED_SKIPS below, with its
// reason: a suite that skips itself because something is missing here would otherwise pass
// while testing nothing. This is the only place that policy lives; suites just skip, with a
// reason, when what they need is absent.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Skips that CI accepts: the file, the test's full name ("suite > test"), and why. */
const ALLOWED_SKIPS = [
  {
    file: 'test/integration/databases-docker-mongo.test.ts',
    name: /^MongoDB: /,
    reason: 'Debian does not package mongod, so no local mongo image can be built and no registry is reachable: MongoDB on docker runs only where a mongo image exists',
  },
  {
    file: 'test/integration/mongo.test.ts',
    name: /.*/,
    reason: 'Debian does not package mongod: the provider suite runs only where MongoDB is installed, the "missing MongoDB" test only where it is not',
  },
  {
    file: 'test/integration/database-stats.test.ts',
    name: /^Mongo stats$/,
    reason: 'Debian does not package mongod',
  },
  {
    file: 'test/e2e/databases.test.ts',
    name: /^MongoDB: /,
    reason: 'Debian does not package mongod',
  },
];

const root = path.resolve(import.meta.dirname, '..');
const find = (dir) =>
  readdirSync(path.join(root, dir), { recursive: true })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join(dir, f))
    .sort();

const order = (file) => (file.startsWith('src') ? 0 : file.includes('integration') ? 1 : file.includes('e2e') ? 2 : 1);
const filters = process.argv.slice(2);
const files = [...find('src'), ...find('test')]
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort((a, b) => order(a) - order(b) || a.localeCompare(b));

if (files.length === 0) {
  console.error(`no test files match ${filters.join(', ')}`);
  process.exit(1);
}

const ci = process.env.CI === 'true';
const scratch = mkdtempSync(path.join(os.tmpdir(), 'wharf-test-run-'));
const skipsFile = path.join(scratch, 'skipped.jsonl');
// Node's own reporter as it would choose (spec on a terminal, TAP otherwise), so its closing
// summary lines are printed as before, plus ours writing the skipped tests to a file.
const reporter = process.stdout.isTTY ? 'spec' : 'tap';
const argv = [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=1',
  `--test-reporter=${reporter}`,
  '--test-reporter-destination=stdout',
  `--test-reporter=${path.join(root, 'scripts', 'skipped-reporter.mjs')}`,
  `--test-reporter-destination=${skipsFile}`,
  ...files,
];
const child = spawn(process.execPath, argv, { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => {
  const status = code ?? (signal ? 1 : 0);
  const skipped = readSkips();
  rmSync(scratch, { recursive: true, force: true });
  if (skipped === null) {
    console.error('run-tests: the skip reporter wrote nothing; skipped tests were not checked');
    process.exit(ci && status === 0 ? 1 : status);
  }
  const offenders = skipped.filter((s) => !ALLOWED_SKIPS.some((a) => a.file === s.file && a.name.test(s.name)));
  if (offenders.length === 0) process.exit(status);
  const lines = offenders.map((s) => `  ${s.file}: ${s.name}${s.reason ? ` (${s.reason})` : ''}`).join('\n');
  if (!ci) {
    console.error(`run-tests: ${offenders.length} skipped test(s) that CI=true would fail (not on the allow-list in scripts/run-tests.mjs):\n${lines}`);
    process.exit(status);
  }
  console.error(`run-tests: CI=true and ${offenders.length} test(s) skipped that are not on the allow-list in scripts/run-tests.mjs:\n${lines}\nInstall what they need, or add them to ALLOWED_SKIPS with the reason.`);
  process.exit(1);
});

/** The skipped tests the reporter saw, or null when it wrote nothing (the run died early). */
function readSkips() {
  let text;
  try {
    text = readFileSync(skipsFile, 'utf8');
  } catch {
    return null;
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}
