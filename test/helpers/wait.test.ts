import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from './wharf.js';

test('waitFor returns the first truthy value of the check', async () => {
  let n = 0;
  const value = await waitFor(() => (++n >= 3 ? { n } : undefined), { timeoutMs: 2_000, intervalMs: 1, what: 'three checks' });
  assert.deepEqual(value, { n: 3 });
  assert.equal(await waitFor('a value', () => 'ready', 1_000), 'ready');
});

test('on timeout waitFor names what it waited for and the last error the check threw', async () => {
  let n = 0;
  await assert.rejects(
    waitFor(
      () => {
        n++;
        throw new Error(`connect ECONNREFUSED (attempt ${n})`);
      },
      { timeoutMs: 100, intervalMs: 10, what: () => 'the app to answer' },
    ),
    (err: Error) => {
      assert.match(err.message, /timed out after 100 ms waiting for the app to answer \(last error: connect ECONNREFUSED \(attempt \d+\)\)/);
      assert.ok(!err.message.includes('(attempt 1)') || n === 1, 'the last error, not the first');
      return true;
    },
  );
});

test('on timeout waitFor reports the last value the check returned', async () => {
  let status = 500;
  await assert.rejects(
    waitFor('status 200', () => ((status += 1) === 200 ? status : false), { timeoutMs: 60, intervalMs: 5 }),
    /waiting for status 200 \(last value: false\)/,
  );
  await assert.rejects(waitFor(() => ({ ok: false }).ok, { timeoutMs: 30, what: 'ok' }), /last value: false/);
});
