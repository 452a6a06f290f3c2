import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { safeMessage } from './safe-message.js';

test("Node's error for an env value with a NUL byte loses the quoted value, keeps the key", () => {
  let caught: unknown;
  try {
    spawn(process.execPath, ['-e', '0'], { env: { SECRET_TOKEN: 'abc\u0000hunter2-hunter2' } });
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof Error);
  assert.match(caught.message, /hunter2/, 'Node quotes the value');
  const safe = safeMessage(caught);
  assert.doesNotMatch(safe, /hunter2/);
  assert.match(safe, /SECRET_TOKEN/);
});

test('other messages pass unchanged', () => {
  assert.equal(safeMessage(new Error('the build failed')), 'the build failed');
  assert.equal(safeMessage('plain'), 'plain');
});
