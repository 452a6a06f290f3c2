import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RestartPolicy } from '../core/settings.js';
import {
  backoffMs,
  backoffStepAfter,
  decideAfterExit,
  describeExit,
  isFailure,
  type AppExit,
  type ExitDecision,
} from './restart-policy.js';

test('decideAfterExit follows each policy', () => {
  const cases: Array<[RestartPolicy, number, number, boolean, ExitDecision]> = [
    // policy, maxRetries, restarts so far, failed → decision
    ['ON_FAILURE', 2, 0, true, { action: 'restart' }],
    ['ON_FAILURE', 2, 1, true, { action: 'restart' }],
    ['ON_FAILURE', 2, 2, true, { action: 'end', state: 'crashed' }],
    ['ON_FAILURE', 0, 0, true, { action: 'end', state: 'crashed' }],
    ['ON_FAILURE', 2, 0, false, { action: 'end', state: 'exited' }],
    ['ON_FAILURE', 2, 5, false, { action: 'end', state: 'exited' }],
    ['ALWAYS', 0, 0, false, { action: 'restart' }],
    ['ALWAYS', 0, 1000, true, { action: 'restart' }],
    ['NEVER', 10, 0, true, { action: 'end', state: 'crashed' }],
    ['NEVER', 10, 0, false, { action: 'end', state: 'exited' }],
  ];
  for (const [policy, maxRetries, restarts, failed, expected] of cases) {
    assert.deepEqual(
      decideAfterExit(policy, maxRetries, restarts, failed),
      expected,
      `${policy} max ${maxRetries}, ${restarts} restarts, failed=${failed}`,
    );
  }
});

test('isFailure and describeExit', () => {
  const cases: Array<[AppExit, string | null, boolean, string]> = [
    [{ code: 0, signal: null }, null, false, 'exited with code 0'],
    [{ code: 1, signal: null }, null, true, 'exited with code 1'],
    [{ code: null, signal: 'SIGKILL' }, null, true, 'killed by SIGKILL'],
    [{ code: 0, signal: null }, 'liveness probe failed 3 times', true, 'exited with code 0'],
    [{ code: null, signal: null, error: 'spawn x ENOENT' }, null, true, 'could not start: spawn x ENOENT'],
  ];
  for (const [exit, forced, failed, description] of cases) {
    assert.equal(isFailure(exit, forced), failed, JSON.stringify(exit));
    assert.equal(describeExit(exit), description);
  }
});

test('back-off doubles from 100 ms and is capped at 10 s', () => {
  const cases: Array<[number, number]> = [
    [0, 100],
    [1, 200],
    [2, 400],
    [3, 800],
    [6, 6400],
    [7, 10_000],
    [50, 10_000],
  ];
  for (const [step, expected] of cases) assert.equal(backoffMs(step), expected, `step ${step}`);
});

test('back-off resets once the app stayed up 10 s', () => {
  const cases: Array<[number, number, number]> = [
    // step, uptime ms → next step
    [0, 50, 0],
    [4, 9_999, 4],
    [4, 10_000, 0],
    [7, 60_000, 0],
  ];
  for (const [step, uptime, expected] of cases) assert.equal(backoffStepAfter(step, uptime), expected);
});
