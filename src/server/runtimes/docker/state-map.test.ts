import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaRecord } from './bookkeeping.js';
import type { ReplicaFacts } from './labels.js';
import { stateOf, statusOf, type InspectLike } from './state-map.js';

// How `docker inspect` plus the driver's bookkeeping become a replica's state: one row per case.

const facts = (o: Partial<ReplicaFacts> = {}): ReplicaFacts => ({
  replicaId: 'r1',
  role: 'app',
  deploymentId: 'dep',
  serviceInstanceId: 'svc',
  port: 8080,
  restart: { policy: 'ON_FAILURE', maxRetries: 2 },
  liveness: null,
  logFile: '/tmp/x.log',
  stopGraceMs: 2000,
  memoryBytes: null,
  network: null,
  ...o,
});

const info = (state: Partial<InspectLike['State']>, restartCount = 0): InspectLike => ({
  Id: 'abc',
  RestartCount: restartCount,
  State: {
    Status: 'running',
    Running: true,
    Restarting: false,
    OOMKilled: false,
    ExitCode: 0,
    StartedAt: '2026-12-02T18:00:00.123456789Z',
    FinishedAt: '0001-01-01T00:00:00Z',
    ...state,
  },
  NetworkSettings: { IPAddress: '172.17.0.5', Networks: { bridge: { IPAddress: '172.17.0.5' }, net1: { IPAddress: '10.1.0.2' } } },
  HostConfig: { Memory: 0 },
});

const record = (o: Partial<ReplicaRecord> = {}): ReplicaRecord => ({ facts: facts(), ...o });
const exited = (code: number, more: Partial<InspectLike['State']> = {}) =>
  info({ Status: 'exited', Running: false, ExitCode: code, FinishedAt: '2026-12-02T18:00:05Z', ...more });

test('state rows', () => {
  const live = { path: '/health', intervalMs: 100, timeoutMs: 100, failureThreshold: 3 };
  const rows: Array<[string, InspectLike, ReplicaFacts, ReplicaRecord | null, string]> = [
    ['running worker', info({}), facts({ port: null }), record(), 'running'],
    ['running without liveness', info({}), facts(), record(), 'running'],
    ['probed, not yet healthy', info({}), facts({ liveness: live }), record(), 'starting'],
    ['probed, this run healthy', info({}), facts({ liveness: live }), record({ healthyRun: '2026-12-02T18:00:00.123456789Z' }), 'running'],
    ['probed, an earlier run healthy', info({}), facts({ liveness: live }), record({ healthyRun: '2026-12-02T17:00:00Z' }), 'starting'],
    ['restarting', info({ Status: 'restarting', Running: true, Restarting: true }), facts(), record(), 'restarting'],
    ['exit 0 under ON_FAILURE', exited(0), facts(), record(), 'exited'],
    ['exit 0 under NEVER', exited(0), facts({ restart: { policy: 'NEVER', maxRetries: 0 } }), record(), 'exited'],
    ['exit 1, retries used up', exited(1), facts(), record(), 'crashed'],
    ['stopped by Wharf', exited(143), facts(), record({ stoppedAt: '2026-12-02T18:00:04Z' }), 'stopped'],
    ['OOM with exit 0-like code', exited(0, { OOMKilled: true }), facts(), record(), 'crashed'],
    ['given up after liveness', exited(143), facts(), record({ gaveUp: { reason: 'x', at: 'y' } }), 'crashed'],
  ];
  for (const [name, i, f, r, want] of rows) assert.equal(stateOf(i, f, r), want, name);
});

test('status: restarts add Wharf\'s own, endpoint on the private network, OOM limit', () => {
  const f = facts({ network: 'net1', memoryBytes: 32 * 2 ** 20 });
  const s = statusOf(info({}, 2), f, record({ restartBase: 3 }));
  assert.equal(s.restarts, 5);
  assert.deepEqual(s.endpoint, { host: '10.1.0.2', port: 8080 });
  assert.equal(s.runtime, 'docker');
  const oom = statusOf(exited(137, { OOMKilled: true }), f, record());
  assert.equal(oom.state, 'crashed');
  assert.deepEqual(oom.oomKilled, { limitBytes: 32 * 2 ** 20, at: '2026-12-02T18:00:05.000Z' });
  assert.equal(oom.lastReason, 'killed: out of memory (limit 32 MiB)');
  assert.equal(oom.endpoint, null);
  const plain = statusOf(info({}), facts(), record());
  assert.deepEqual(plain.endpoint, { host: '172.17.0.5', port: 8080 });
  assert.equal(plain.exitCode, null);
});
