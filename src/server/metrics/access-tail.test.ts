import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bucketize } from './access-buckets.js';
import { parseAccessLines, tailAccessLog, type TailPosition } from './access-tail.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-tail-'));
  file = path.join(dir, 'access.log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (n: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ time: '2030-01-01T00:00:00.000Z', host: 'h', method: 'GET', path: `/${n}`, status: 200, durationMs: n, target: 'r1', bytesOut: 10, ...extra }) + '\n';
const lines = (...ns: number[]) => ns.map((n) => line(n)).join('');
const paths = (r: { lines: Array<{ path: string }> }) => r.lines.map((l) => l.path);

// Each step changes the files, then tails from the previous position: what comes out.
type Step = [what: string, change: () => void, expected: string[], budget?: number];
const scenarios: Array<[string, Step[]]> = [
  ['no file yet, then appends', [
    ['no file', () => undefined, []],
    ['first lines', () => writeFileSync(file, lines(1, 2)), ['/1', '/2']],
    ['nothing new', () => undefined, []],
    ['appended', () => appendFileSync(file, lines(3)), ['/3']],
  ]],
  ['a torn last line waits for its end', [
    ['half a line', () => writeFileSync(file, lines(1) + line(2).slice(0, 20)), ['/1']],
    ['its rest', () => appendFileSync(file, line(2).slice(20)), ['/2']],
  ]],
  ['rotation: the rest of access.log.1, then the new file from its start', [
    ['before', () => writeFileSync(file, lines(1)), ['/1']],
    ['more lines, rotate, new file', () => {
      appendFileSync(file, lines(2, 3));
      renameSync(file, `${file}.1`);
      writeFileSync(file, lines(4));
    }, ['/2', '/3', '/4']],
    ['after', () => appendFileSync(file, lines(5)), ['/5']],
  ]],
  ['rotation before the new file exists', [
    ['before', () => writeFileSync(file, lines(1)), ['/1']],
    ['rotated, no new file', () => {
      appendFileSync(file, lines(2));
      renameSync(file, `${file}.1`);
    }, ['/2']],
    ['new file', () => writeFileSync(file, lines(3)), ['/3']],
  ]],
  ['two rotations between reads: the lost middle file is skipped', [
    ['before', () => writeFileSync(file, lines(1)), ['/1']],
    ['rotate twice', () => {
      renameSync(file, `${file}.1`);
      writeFileSync(file, lines(2));
      renameSync(file, `${file}.1`);
      writeFileSync(file, lines(3));
    }, ['/3']],
  ]],
  ['truncation in place starts over', [
    ['before', () => writeFileSync(file, lines(1, 2, 3)), ['/1', '/2', '/3']],
    ['truncated and rewritten shorter', () => {
      truncateSync(file, 0);
      appendFileSync(file, lines(4));
    }, ['/4']],
  ]],
  ['a budget reads a backlog over several calls, whole lines only', [
    ['first', () => writeFileSync(file, lines(1, 2, 3, 4)), ['/1', '/2'], line(1).length * 2 + 5],
    ['rest', () => undefined, ['/3', '/4'], line(1).length * 2 + 5],
  ]],
  ['a budget inside the rotated file resumes there', [
    ['before', () => writeFileSync(file, ''), []],
    ['rotated with 3 lines', () => {
      appendFileSync(file, lines(1, 2, 3));
      renameSync(file, `${file}.1`);
      writeFileSync(file, lines(4));
    }, ['/1', '/2'], line(1).length * 2],
    ['then the rest and the new file', () => undefined, ['/3', '/4']],
  ]],
];

for (const [what, steps] of scenarios) {
  test(`tailAccessLog: ${what}`, () => {
    let position: TailPosition = { ino: 0, offset: 0 };
    for (const [step, change, expected, budget] of steps) {
      change();
      const result = tailAccessLog(file, position, budget);
      assert.deepEqual(paths(result), expected, step);
      position = result.position;
    }
  });
}

test('parseAccessLines: skips what is not an access record', () => {
  const { lines: parsed, skipped } = parseAccessLines(line(1) + 'not json\n{"time":"x"}\n' + line(2, { private: true, target: null }));
  assert.deepEqual(parsed.map((l) => [l.path, l.target, l.private ?? false]), [['/1', 'r1', false], ['/2', null, true]]);
  assert.equal(skipped, 2);
});

test('bucketize: 10 s buckets per instance; rates, status classes, error rate and percentiles per bucket', () => {
  const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();
  const records = parseAccessLines(
    [
      ...Array.from({ length: 18 }, (_, i) => line(i + 1, { time: at(1), status: 200, durationMs: i + 1 })),
      line(0, { time: at(2), status: 404, durationMs: 100 }),
      line(0, { time: at(9), status: 503, durationMs: 1000, bytesOut: 90 }),
      line(0, { time: at(12), status: 301, target: 'r2' }),
      line(0, { time: at(13), target: 'gone' }),
      line(0, { time: at(13), target: null }),
    ].join(''),
  ).lines;
  const { buckets, unmatched } = bucketize(records, (id) => ({ r1: 'i1', r2: 'i2' })[id]);
  assert.equal(unmatched, 2);
  const t0 = Date.UTC(2030, 0, 1);
  assert.deepEqual([...buckets.keys()], [t0, t0 + 10_000]);
  const points = Object.fromEntries(buckets.get(t0)!.get('i1')!.points('i1', t0).map((p) => [p.name, [p.value, p.samples]]));
  assert.deepEqual(points, {
    requests_per_second: [2, 1],
    status_2xx: [1.8, 1],
    status_3xx: [0, 1],
    status_4xx: [0.1, 1],
    status_5xx: [0.1, 1],
    bytes_out_per_second: [(18 * 10 + 10 + 90) / 10, 1],
    error_rate: [0.05, 20],
    latency_p50_ms: [10, 20],
    latency_p95_ms: [100, 20],
    latency_p99_ms: [1000, 20],
  });
  assert.equal(buckets.get(t0 + 10_000)!.get('i2')!.count, 1);
});
