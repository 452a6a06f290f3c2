import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from './helpers/wharf.js';

// Every CLI exit code a test runs is checked (docs/testing.md). This scan finds the two ways a
// test can lose one when it calls the CLI directly (`wharf.cli(…)`, `runCli(…)`): the result
// thrown away (`await wharf.cli([...]);`), or kept in a variable whose `.code` is never read and
// that never goes through succeeded() or parseJson(), which check it.

const CALL = /await\s+[\w.]*(?:\.cli|\brunCli)\(/g;

function testFiles(): string[] {
  return ['src', 'test'].flatMap((dir) =>
    readdirSync(path.join(REPO, dir), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => path.join(REPO, dir, f)),
  );
}

/** `file:line: call` for each CLI result that is never checked. */
function uncheckedCalls(source: string, file = 'sample'): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(CALL)) {
    const lineStart = source.lastIndexOf('\n', m.index) + 1;
    const before = source.slice(lineStart, m.index);
    const where = `${file}:${source.slice(0, m.index).split('\n').length}`;
    if (/^\s*$/.test(before)) {
      found.push(`${where}: the result is thrown away`);
      continue;
    }
    const assigned = /^\s*(?:const|let)\s+(\w+)(?:\s*:[^=]+)?\s*=\s*$/.exec(before);
    if (assigned === null) continue; // used inside an expression: succeeded(…), parseJson(…), assert…(…).code
    const name = assigned[1]!;
    const rest = source.slice(m.index);
    const checked = new RegExp(`\\b${name}\\.code\\b|\\b(?:succeeded|parseJson)(?:<[^>]*>)?\\(\\s*${name}\\b|\\breturn\\s+${name}\\s*[;\\n]`).test(rest);
    if (!checked) found.push(`${where}: ${name}.code is never checked`);
  }
  return found;
}

test('every CLI call in the tests has its exit code checked', () => {
  const offences = testFiles().flatMap((file) => uncheckedCalls(readFileSync(file, 'utf8'), path.relative(REPO, file)));
  assert.deepEqual(offences, []);
});

test('the scan itself catches a result thrown away and one never checked, and accepts the checked forms', () => {
  const bad = "await wharf.cli(['up'], { cwd });\nconst listed = await wharf.cli(['alerts', 'list']);\nassert.match(listed.stdout, /x/);\n";
  assert.deepEqual(uncheckedCalls(bad), ['sample:1: the result is thrown away', 'sample:2: listed.code is never checked']);
  const good = [
    "const up = await wharf.cli(['up']);\nassert.equal(up.code, 0, up.stderr);",
    "const rows = parseJson<Row[]>(await wharf.cli(['status', '--json']));",
    "succeeded(await wharf.cli(['variables', '--set', 'A=1']));",
    "assert.equal((await wharf.cli(['init'])).code, 0);",
    "const json = await on.cli(['doctor', '--json']);\nreturn parseJson(json, { code: 1 });",
    "const result = await wharf.cli(args, { cwd });\nreturn result;\n",
  ];
  assert.deepEqual(uncheckedCalls("const logs = await wharf.cli(['logs']);\nreturn logs.stdout.split('\\n');"), ['sample:1: logs.code is never checked']);
  for (const sample of good) assert.deepEqual(uncheckedCalls(sample), [], sample);
});
