import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWharfError } from '../../core/errors.js';
import { mainProcess, parseProcfile, releaseProcess } from './procfile.js';

test('parses processes, skipping comments and blank lines', () => {
  const processes = parseProcfile('# comment\n\nweb: node server.js --port $PORT\n// also a comment\nworker:node worker.js\r\nrelease: npm run migrate\n');
  assert.deepEqual(
    processes.map((p) => [p.name, p.command, p.line]),
    [
      ['web', 'node server.js --port $PORT', 3],
      ['worker', 'node worker.js', 5],
      ['release', 'npm run migrate', 6],
    ],
  );
  assert.equal(mainProcess(processes)?.process.name, 'web');
  assert.equal(mainProcess(processes)?.kind, 'web');
  assert.equal(releaseProcess(processes)?.command, 'npm run migrate');
});

test('a command may hold colons', () => {
  assert.equal(parseProcfile('web: node -e "console.log(1)" --x=a:b')[0]!.command, 'node -e "console.log(1)" --x=a:b');
});

test('without web the first non-release process is a worker', () => {
  const main = mainProcess(parseProcfile('release: a\nclock: b\nworker: c'));
  assert.deepEqual([main?.process.name, main?.kind], ['clock', 'worker']);
  assert.equal(mainProcess(parseProcfile('release: a')), null);
});

const bad: Array<[string, string, RegExp]> = [
  ['web: a\nthis line has no colon\n', 'Procfile:2:', /expected '<name>: <command>'/],
  ['web: a\n\nweb server: b', 'Procfile:3:', /may only hold/],
  ['web: a\nworker:   \n', 'Procfile:2:', /has no command/],
  ['web: a\nweb: b', 'Procfile:2:', /already defined on line 1/],
  [`${'x'.repeat(64)}: a`, 'Procfile:1:', /longer than 63/],
];

for (const [text, prefix, what] of bad) {
  test(`rejects ${JSON.stringify(text)} at ${prefix}`, () => {
    assert.throws(
      () => parseProcfile(text),
      (err: unknown) => isWharfError(err) && err.code === 'INVALID_CONFIG' && err.message.startsWith(prefix) && what.test(err.message) && !!err.hint,
    );
  });
}
