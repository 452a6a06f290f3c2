import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LATENCY_GROWTH, LATENCY_MIN_MS, latencyBin } from '../../core/latency-histogram.js';
import { parseTrafficLine, type TrafficLine } from '../../core/traffic.js';
import { bucketize } from './traffic-buckets.js';

// Traffic lines (as the router writes them) → per-service 10 s buckets and their points.

const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();

function line(time: string, target: string, statuses: Record<number, number>, durations: number[], bytesOut = 0): TrafficLine {
  const bins = new Map<number, number>();
  for (const d of durations) bins.set(latencyBin(d), (bins.get(latencyBin(d)) ?? 0) + 1);
  const cls = (c: number) => Object.entries(statuses).filter(([s]) => Math.floor(Number(s) / 100) === c).reduce((n, [, k]) => n + k, 0);
  return {
    time,
    seconds: 10,
    target,
    requests: durations.length,
    status: { '1xx': cls(1), '2xx': cls(2), '3xx': cls(3), '4xx': cls(4), '5xx': cls(5) },
    bytesOut,
    latency: { minMs: LATENCY_MIN_MS, growth: LATENCY_GROWTH, bins: [...bins].sort((a, b) => a[0] - b[0]) },
  };
}

const close = (value: number, expected: number) => Math.abs(value - expected) / expected < 0.011;

test('bucketize: per bucket and instance; replicas of one service add up, their histograms merge', () => {
  const lines = [
    // i1 has two replicas in the first bucket: 18 fast 200s on r1; a 404 and a slow 503 on r1b.
    line(at(0), 'r1', { 200: 18 }, Array.from({ length: 18 }, (_, i) => i + 1), 180),
    line(at(0), 'r1b', { 404: 1, 503: 1 }, [100, 1000], 100),
    line(at(10), 'r2', { 301: 1 }, [3]),
    line(at(10), 'gone', { 200: 5 }, [1, 1, 1, 1, 1]),
  ];
  const { buckets, unmatched } = bucketize(lines, (id) => ({ r1: 'i1', r1b: 'i1', r2: 'i2' })[id]);
  assert.equal(unmatched, 1);
  const t0 = Date.UTC(2030, 0, 1);
  assert.deepEqual([...buckets.keys()], [t0, t0 + 10_000]);
  const points = Object.fromEntries(buckets.get(t0)!.get('i1')!.points('i1', t0).map((p) => [p.name, [p.value, p.samples]]));
  const latency = { p50: points.latency_p50_ms!, p95: points.latency_p95_ms!, p99: points.latency_p99_ms! };
  delete points.latency_p50_ms;
  delete points.latency_p95_ms;
  delete points.latency_p99_ms;
  assert.deepEqual(points, {
    requests_per_second: [2, 1],
    status_2xx: [1.8, 1],
    status_3xx: [0, 1],
    status_4xx: [0.1, 1],
    status_5xx: [0.1, 1],
    bytes_out_per_second: [28, 1],
    error_rate: [0.05, 20],
  });
  // Exact nearest-rank of the 20 durations: p50 = 10, p95 = 100, p99 = 1000; the bins are ~2 % wide.
  assert.ok(close(latency.p50[0]!, 10) && latency.p50[1] === 20, `p50 ${latency.p50}`);
  assert.ok(close(latency.p95[0]!, 100) && latency.p95[1] === 20, `p95 ${latency.p95}`);
  assert.ok(close(latency.p99[0]!, 1000) && latency.p99[1] === 20, `p99 ${latency.p99}`);
  assert.equal(buckets.get(t0 + 10_000)!.get('i2')!.count, 1);
});

test('two lines of one replica and bucket (a router restarted within it) merge into one bucket', () => {
  const { buckets } = bucketize([line(at(1), 'r1', { 200: 3 }, [5, 5, 5]), line(at(1), 'r1', { 500: 1 }, [50])], () => 'i1');
  const acc = buckets.get(Date.UTC(2030, 0, 1))!.get('i1')!;
  assert.equal(acc.count, 4);
  assert.deepEqual(acc.classes, [0, 0, 3, 0, 0, 1]);
  const p99 = acc.points('i1', 0).find((p) => p.name === 'latency_p99_ms')!;
  assert.ok(close(p99.value, 50), `${p99.value}`);
});

test('parseTrafficLine: what the router writes; anything else is skipped; another bin scheme keeps counts, drops latency', () => {
  const good = line(at(0), 'r1', { 200: 1 }, [2], 10);
  assert.deepEqual(parseTrafficLine(JSON.stringify(good)), good);
  assert.equal(parseTrafficLine('not json'), null);
  assert.equal(parseTrafficLine('{"time":"x","target":"r","requests":1}'), null);
  assert.equal(parseTrafficLine('{"time":"2030-01-01T00:00:00.000Z","requests":1}'), null);
  assert.equal(parseTrafficLine('null'), null);
  const other = parseTrafficLine(JSON.stringify({ ...good, latency: { minMs: 0.1, growth: 1.1, bins: [[3, 1]] } }))!;
  assert.equal(other.requests, 1);
  assert.deepEqual(other.latency.bins, []);
  const { buckets } = bucketize([other], () => 'i1');
  const names = buckets.get(Date.UTC(2030, 0, 1))!.get('i1')!.points('i1', 0).map((p) => p.name);
  assert.ok(names.includes('requests_per_second') && !names.includes('latency_p99_ms'));
});
