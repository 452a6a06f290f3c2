import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tailLog, type TailPosition } from './log-tail.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-tail-'));
  file = path.join(dir, 'traffic.log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (n: number) => JSON.stringify({ time: '2030-01-01T00:00:00.000Z', target: 'r1', path: `/${n}` }) + '\n';
const lines = (...ns: number[]) => ns.map((n) => line(n)).join('');
const paths = (r: { lines: string[] }) => r.lines.map((l) => (JSON.parse(l) as { path: string }).path);

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
  ['rotation: the rest of traffic.log.1, then the new file from its start', [
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
  test(`tailLog: ${what}`, () => {
    let position: TailPosition = { ino: 0, offset: 0 };
    for (const [step, change, expected, budget] of steps) {
      change();
      const result = tailLog(file, position, budget);
      assert.deepEqual(paths(result), expected, step);
      position = result.position;
    }
  });
}
