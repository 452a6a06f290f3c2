import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsStore } from './metrics-store.js';
import { DEFAULT_RETENTION } from './retention.js';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const MIN = 60_000;
const HOUR = 3600_000;

function storeAt(clock: { now: number }, retention = DEFAULT_RETENTION) {
  return new MetricsStore(':memory:', { now: () => clock.now, retention });
}

function rows(store: MetricsStore, resolution: number, name: string) {
  return store.db
    .prepare('SELECT t, value, samples FROM points WHERE resolution = ? AND name = ? AND replica_id = ? ORDER BY t')
    .all(resolution, name, '') as Array<{ t: number; value: number; samples: number }>;
}

test('add: several ticks in one 10 s bucket merge (weighted mean; max for restarts)', () => {
  const store = storeAt({ now: T0 });
  store.add([{ instanceId: 'i', name: 'cpu_percent', t: T0 + 1000, value: 10 }, { instanceId: 'i', name: 'restarts', t: T0 + 1000, value: 2 }]);
  store.add([{ instanceId: 'i', name: 'cpu_percent', t: T0 + 4000, value: 40 }, { instanceId: 'i', name: 'restarts', t: T0 + 4000, value: 1 }]);
  store.add([{ instanceId: 'i', name: 'cpu_percent', t: T0 + 9999, value: 40 }]);
  assert.deepEqual(rows(store, 10, 'cpu_percent'), [{ t: T0, value: 30, samples: 3 }]);
  assert.deepEqual(rows(store, 10, 'restarts'), [{ t: T0, value: 2, samples: 2 }]);
  store.close();
});

test('mergeLate: rates add up in the same bucket, p99 takes the max, error_rate stays exact', () => {
  const store = storeAt({ now: T0 });
  store.put([
    { instanceId: 'i', name: 'requests_per_second', t: T0, value: 1, samples: 1 },
    { instanceId: 'i', name: 'error_rate', t: T0, value: 0.5, samples: 10 },
    { instanceId: 'i', name: 'latency_p99_ms', t: T0, value: 30, samples: 10 },
  ]);
  store.mergeLate([
    { instanceId: 'i', name: 'requests_per_second', t: T0 + 5000, value: 3, samples: 1 },
    { instanceId: 'i', name: 'error_rate', t: T0 + 5000, value: 0, samples: 30 },
    { instanceId: 'i', name: 'latency_p99_ms', t: T0 + 5000, value: 80, samples: 30 },
    { instanceId: 'i', name: 'latency_p50_ms', t: T0 + 5000, value: 8, samples: 30 },
  ]);
  assert.deepEqual(rows(store, 10, 'requests_per_second'), [{ t: T0, value: 4, samples: 1 }]);
  assert.deepEqual(rows(store, 10, 'error_rate'), [{ t: T0, value: 0.125, samples: 40 }]);
  assert.deepEqual(rows(store, 10, 'latency_p99_ms'), [{ t: T0, value: 80, samples: 40 }]);
  assert.deepEqual(rows(store, 10, 'latency_p50_ms'), [{ t: T0, value: 8, samples: 30 }]);
  store.close();
});

test('rollup: 10 s → 1 min → 1 h, bounded per call, idempotent, with the right rule per series', () => {
  const clock = { now: T0 };
  const store = storeAt(clock);
  // Two hours of 10 s points: cpu 10 in the first hour, 30 in the second; p99 one slow bucket.
  const points = [];
  for (let t = T0; t < T0 + 2 * HOUR; t += 10_000) {
    points.push({ instanceId: 'i', name: 'cpu_percent' as const, t, value: t < T0 + HOUR ? 10 : 30 });
    points.push({ instanceId: 'i', name: 'latency_p99_ms' as const, t, value: t === T0 + 20 * MIN ? 900 : 5, samples: 2 });
    points.push({ instanceId: 'i', name: 'requests_per_second' as const, t, value: 2, samples: 1 });
  }
  store.put(points);
  clock.now = T0 + 2 * HOUR + 10 * MIN;
  // The first call rolls up at most 30 minutes (and no hour yet: its minutes are not there).
  store.rollup();
  assert.equal(rows(store, 60, 'cpu_percent').length, 30);
  for (let i = 0; i < 10; i++) store.rollup();
  const minutes = rows(store, 60, 'cpu_percent');
  assert.equal(minutes.length, 120, 'every minute with points, up to now minus the lag');
  assert.deepEqual(minutes[0], { t: T0, value: 10, samples: 6 });
  assert.deepEqual(rows(store, 60, 'latency_p99_ms').find((r) => r.t === T0 + 20 * MIN), { t: T0 + 20 * MIN, value: 900, samples: 12 });
  assert.deepEqual(rows(store, 60, 'requests_per_second')[5], { t: T0 + 5 * MIN, value: 2, samples: 6 });
  const hours = rows(store, 3600, 'cpu_percent');
  assert.deepEqual(hours, [
    { t: T0, value: 10, samples: 360 },
    { t: T0 + HOUR, value: 30, samples: 360 },
  ]);
  assert.equal(rows(store, 3600, 'latency_p99_ms')[0]!.value, 900, 'the hour keeps the worst p99 as a bound');
  assert.equal(rows(store, 3600, 'requests_per_second')[1]!.value, 2);
  const before = store.db.prepare('SELECT count(*) AS n FROM points').get();
  store.rollup();
  assert.deepEqual(store.db.prepare('SELECT count(*) AS n FROM points').get(), before, 'nothing new to roll up');
  store.close();
});

test('rollup: a gap of days is skipped in one step, not walked minute by minute', () => {
  const clock = { now: T0 };
  const store = storeAt(clock);
  store.put([{ instanceId: 'i', name: 'cpu_percent', t: T0, value: 1 }]);
  clock.now = T0 + 2 * MIN;
  store.rollup();
  store.put([{ instanceId: 'i', name: 'cpu_percent', t: T0 + 3 * 86400_000, value: 5 }]);
  clock.now = T0 + 3 * 86400_000 + 2 * MIN;
  store.rollup();
  assert.deepEqual(rows(store, 60, 'cpu_percent').map((r) => r.value), [1, 5]);
  store.close();
});

test('cleanup: each resolution past its retention goes, in batches; newer points stay', () => {
  const clock = { now: T0 };
  const store = storeAt(clock, { 10: HOUR, 60: 2 * HOUR, 3600: 10 * HOUR });
  const insert = store.db.prepare("INSERT INTO points (instance_id, replica_id, name, resolution, t, value, samples) VALUES ('i', '', 'cpu_percent', ?, ?, 1, 1)");
  for (let i = 0; i < 50; i++) insert.run(10, T0 - 2 * HOUR + i * 10_000); // all older than 1 h
  for (let i = 0; i < 5; i++) insert.run(10, T0 - i * 10_000); // new
  insert.run(60, T0 - 3 * HOUR);
  insert.run(60, T0 - HOUR);
  insert.run(3600, T0 - 11 * HOUR);
  insert.run(3600, T0 - 3 * HOUR);
  assert.equal(store.cleanup(T0, 20), 22, 'a batch of 20 plus the two old coarse points');
  assert.equal(store.cleanup(T0, 20), 20);
  assert.equal(store.cleanup(T0, 20), 10);
  assert.equal(store.cleanup(T0, 20), 0);
  assert.deepEqual(
    (store.db.prepare('SELECT resolution, count(*) AS n FROM points GROUP BY resolution').all() as Array<{ resolution: number; n: number }>).map((r) => [r.resolution, r.n]),
    [[10, 5], [60, 1], [3600, 1]],
  );
  store.close();
});

test('reader: resolution by age, the unrolled recent part stitched from finer points, averages', () => {
  const clock = { now: T0 + 3 * 86400_000 };
  const store = storeAt(clock);
  const now = clock.now;
  assert.equal(store.resolutionFor(now - HOUR), 10);
  assert.equal(store.resolutionFor(now - 2 * 86400_000), 60);
  assert.equal(store.resolutionFor(now - 30 * 86400_000), 3600);
  // Minutes rolled up to 10 min ago; 10 s points for the last 10 minutes.
  const minutes = [];
  for (let t = now - 2 * 86400_000; t < now - 10 * MIN; t += MIN) minutes.push([t, 4]);
  const insert = store.db.prepare("INSERT INTO points (instance_id, replica_id, name, resolution, t, value, samples) VALUES ('i', '', 'memory_bytes', ?, ?, ?, ?)");
  for (const [t, v] of minutes) insert.run(60, t, v, 6);
  for (let t = now - 20 * MIN; t < now; t += 10_000) insert.run(10, t, 10, 1);
  const day = store.series('i', 'memory_bytes', now - 2 * 86400_000);
  assert.equal(day.filter((p) => p.value === 4).length, 2 * 24 * 60 - 10);
  assert.equal(day.filter((p) => p.value === 10).length, 60, 'only the 10 s points after the last minute');
  assert.ok(day.every((p, i) => i === 0 || p.t > day[i - 1]!.t), 'in time order, no overlap');
  assert.equal(store.series('i', 'memory_bytes', now - 5 * MIN).length, 30);
  // 20 h is young enough for 10 s points, but 7200 of them is more than a window shows: 1 min.
  assert.equal(store.resolutionFor(now - 20 * HOUR), 60);
  assert.equal(store.series('i', 'memory_bytes', now - 20 * HOUR).filter((p) => p.value === 4).length, 20 * 60 - 10);
  assert.equal(store.average('i', 'memory_bytes', 5 * MIN), 10);
  assert.equal(store.average('i', 'cpu_percent', 5 * MIN), null);
  assert.deepEqual(store.series('other', 'memory_bytes', now - HOUR), []);
  store.close();
});
