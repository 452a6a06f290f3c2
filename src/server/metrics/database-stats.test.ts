import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReplicaStatus } from '../../core/runtime.js';
import { MetricsCollector } from './collector.js';
import type { DatabaseStatsSource } from './database-stats.js';
import { MetricsStore } from './metrics-store.js';

// A database that never answers must not hold up the tick, nor the other databases' points;
// a stopped server is not asked at all; stopping the collector waits at most the timeout.

function running(replicaId: string, instanceId: string): ReplicaStatus {
  const now = new Date().toISOString();
  return {
    replicaId, role: 'database', deploymentId: null, serviceInstanceId: instanceId, runtime: 'process', port: null, endpoint: null, state: 'running', restarts: 0,
    exitCode: null, exitSignal: null, startedAt: now, updatedAt: now, lastReason: null,
  };
}

test('a hanging database neither stalls the tick nor stops the others being written; a stopped one is not asked', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-dbstats-unit-'));
  const store = new MetricsStore(path.join(dir, 'metrics.db'));
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const asked: string[] = [];
  const timeouts: number[] = [];
  const sources: DatabaseStatsSource[] = [
    { databaseId: 'db_fast', instanceId: 'inst-fast', stats: async (timeoutMs) => (asked.push('fast'), timeouts.push(timeoutMs), { connections: 3, sizeBytes: 4096 }) },
    { databaseId: 'db_hung', instanceId: 'inst-hung', stats: () => (asked.push('hung'), new Promise(() => {})) },
    { databaseId: 'db_down', instanceId: 'inst-down', stats: async () => (asked.push('down'), { connections: 9, sizeBytes: 9 }) },
  ];
  const collector = new MetricsCollector({
    store,
    runtime: { list: async () => [running('db_fast', 'inst-fast'), running('db_hung', 'inst-hung')], stats: async () => [] },
    replicas: () => [],
    trafficLog: null,
    databases: () => sources,
    databaseTimeoutMs: 300,
  });

  const started = performance.now();
  await collector.tick();
  assert.ok(performance.now() - started < 250, `the tick did not wait for the hung database (${performance.now() - started} ms)`);
  await collector.tick(); // the hung database's sample is still in flight: not asked again
  assert.deepEqual(asked.filter((a) => a === 'hung'), ['hung']);
  assert.equal(asked.includes('down'), false, 'a database whose server is not running is not asked');
  assert.deepEqual(timeouts.slice(0, 1), [300]);

  const value = (instanceId: string, name: 'db_connections' | 'db_size_bytes') => store.series(instanceId, name, Date.now() - 60_000).at(-1)?.value ?? null;
  assert.equal(value('inst-fast', 'db_connections'), 3);
  assert.equal(value('inst-fast', 'db_size_bytes'), 4096);
  assert.equal(value('inst-hung', 'db_connections'), null);

  const stopping = performance.now();
  await collector.stop();
  const waited = performance.now() - stopping;
  assert.ok(waited < 3_000, `stop waits for the hung sample at most its timeout and a grace (${waited} ms)`);
  assert.equal(value('inst-hung', 'db_connections'), null, 'the hung database got no points');
});
