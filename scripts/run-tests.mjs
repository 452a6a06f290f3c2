#!/usr/bin/env node
// `npm test`: finds every *.test.ts (Node 20's test runner has no globs) and runs them with
// node:test under tsx, one file at a time: unit tests beside the code, then test/integration,
// then test/e2e (real servers, real processes). Arguments filter files by substring.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

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
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
