import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, memorySizeProblem, parseCpus, parseMemorySize } from './resource-sizes.js';

test('memory sizes as Compose, Docker, Kubernetes and Render write them are binary bytes', () => {
  const cases: Array<[unknown, number | null]> = [
    ['512M', 512 * 1024 ** 2],
    ['512m', 512 * 1024 ** 2],
    ['512MB', 512 * 1024 ** 2],
    ['512Mi', 512 * 1024 ** 2],
    ['1Gi', 1024 ** 3],
    ['1g', 1024 ** 3],
    ['1.5GB', 1.5 * 1024 ** 3],
    [' 2 GiB ', 2 * 1024 ** 3],
    ['64k', 64 * 1024],
    [268435456, 268435456],
    ['268435456', 268435456],
    ['512X', null],
    ['-1G', null],
    ['0', null],
    ['', null],
    ['1e9', null],
    [1.5, null],
    [null, null],
    [{}, null],
  ];
  for (const [input, expected] of cases) assert.equal(parseMemorySize(input), expected, String(input));
});

test('a memory problem names the value and the forms that work', () => {
  assert.match(memorySizeProblem('512X')!, /'512X' is not a memory size: use e\.g\. 512M, 1Gi/);
  assert.match(memorySizeProblem('1k')!, /below the smallest memory limit, 6M/);
  assert.equal(memorySizeProblem('6M'), null);
});

test('CPU counts: fractions of cores, as numbers or strings', () => {
  const cases: Array<[unknown, number | null]> = [[0.5, 0.5], ['0.5', 0.5], ['2', 2], [2, 2], [0, null], [-1, null], ['half', null], ['1.5 cpus', null], [2000, null], [Number.NaN, null]];
  for (const [input, expected] of cases) assert.equal(parseCpus(input), expected, String(input));
});

test('formatBytes', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(512 * 1024 ** 2), '512 MiB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3 GiB');
});
