import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { histogramPercentiles, LATENCY_GROWTH, LATENCY_MIN_MS, latencyBin } from '../core/latency-histogram.js';
import { parseTrafficLine, type TrafficLine } from '../core/traffic.js';
import { TrafficCounter, type TrafficClock } from './traffic.js';
import { TrafficLog } from './traffic-log.js';

// The router's per-bucket counter with a clock the test moves: buckets close on the first
// request of a newer bucket, on the timer's check, and at close; one line per target.

const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);

class FakeClock implements TrafficClock {
  // The monotonic clock runs from an arbitrary origin, like performance.now().
  constructor(public wallMs: number, private readonly origin = 123_456.789) {}
  wall = () => this.wallMs;
  mono = () => this.wallMs - T0 + this.origin;
  /** A request that started `ms` ago, in mono() time. */
  startedAgo = (ms: number) => this.mono() - ms;
}

class Sink {
  text = '';
  closed = false;
  append(text: string): void {
    this.text += text;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  lines(): TrafficLine[] {
    return this.text.split('\n').filter(Boolean).map((l) => parseTrafficLine(l)!);
  }
}

const rep = (id: string) => ({ id });

test('one line per target and bucket: counts, status classes, bytes, latency; no line before the bucket ends', () => {
  const clock = new FakeClock(T0 + 1_000);
  const sink = new Sink();
  const counter = new TrafficCounter(sink, clock, { timer: false });
  for (let i = 1; i <= 100; i++) counter.count(rep('rep_a'), 200, clock.startedAgo(i), 10);
  counter.count(rep('rep_a'), 404, clock.startedAgo(1), 5);
  counter.count(rep('rep_a'), 503, clock.startedAgo(1000), 0);
  counter.count(rep('rep_a'), 499, clock.startedAgo(2), 0);
  counter.count(rep('rep_b'), 301, clock.startedAgo(0.5), 1);
  counter.count(null, 404, clock.startedAgo(1), 100);
  clock.wallMs = T0 + 9_999;
  counter.tick();
  assert.equal(sink.text, '', 'the bucket has not ended');

  clock.wallMs = T0 + 10_000;
  counter.tick();
  const raw = sink.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(raw.map((l) => [l.time, l.seconds, l.target, l.requests]), [
    ['2030-01-01T00:00:00.000Z', 10, 'rep_a', 103],
    ['2030-01-01T00:00:00.000Z', 10, 'rep_b', 1],
  ]);
  const [a, b] = sink.lines();
  assert.deepEqual(a!.status, { '1xx': 0, '2xx': 100, '3xx': 0, '4xx': 2, '5xx': 1 });
  assert.equal(a!.bytesOut, 1005);
  assert.deepEqual(a!.latency.minMs, LATENCY_MIN_MS);
  assert.deepEqual(a!.latency.growth, LATENCY_GROWTH);
  assert.equal(a!.latency.bins.reduce((n, [, c]) => n + c, 0), 103);
  assert.ok(a!.latency.bins.every(([bin], i, all) => i === 0 || all[i - 1]![0] < bin), 'bins ascending, each once');
  const [p50, p99] = histogramPercentiles(new Map(a!.latency.bins), [50, 99]);
  assert.ok(Math.abs(p50! - 50) / 50 < 0.011, `p50 ${p50}`);
  assert.ok(Math.abs(p99! - 100) / 100 < 0.011, `p99 ${p99}`);
  assert.deepEqual(b!.status, { '1xx': 0, '2xx': 0, '3xx': 1, '4xx': 0, '5xx': 0 });
  assert.deepEqual(b!.latency.bins, [[latencyBin(0.5), 1]]);

  // Nothing more for that bucket; an idle bucket writes nothing.
  clock.wallMs = T0 + 25_000;
  counter.tick();
  assert.equal(sink.lines().length, 2);
});

test('the first request of a newer bucket writes the old one, and is counted in the new one', () => {
  const clock = new FakeClock(T0 + 9_000);
  const sink = new Sink();
  const counter = new TrafficCounter(sink, clock, { timer: false });
  counter.count(rep('r'), 200, clock.startedAgo(1), 1);
  counter.count(rep('r'), 200, clock.startedAgo(1), 1);
  clock.wallMs = T0 + 31_500; // two empty buckets skipped
  counter.count(rep('r'), 500, clock.startedAgo(3), 1);
  assert.deepEqual(sink.lines().map((l) => [l.time, l.requests]), [['2030-01-01T00:00:00.000Z', 2]]);
  clock.wallMs = T0 + 40_000;
  counter.tick();
  assert.deepEqual(sink.lines().map((l) => [l.time, l.requests, l.status['5xx']]), [
    ['2030-01-01T00:00:00.000Z', 2, 0],
    ['2030-01-01T00:00:30.000Z', 1, 1],
  ]);
});

test('close writes the open bucket (a router stopping with SIGTERM) and closes the file', async () => {
  const clock = new FakeClock(T0 + 4_000);
  const sink = new Sink();
  const counter = new TrafficCounter(sink, clock, { timer: false });
  counter.count(rep('r'), 200, clock.startedAgo(1), 7);
  await counter.close();
  assert.deepEqual(sink.lines().map((l) => [l.time, l.target, l.requests, l.bytesOut]), [['2030-01-01T00:00:00.000Z', 'r', 1, 7]]);
  assert.equal(sink.closed, true);
});

test('a target idle for a minute is forgotten, and counted afresh when it comes back', () => {
  const clock = new FakeClock(T0);
  const sink = new Sink();
  const counter = new TrafficCounter(sink, clock, { timer: false });
  counter.count(rep('r'), 200, clock.startedAgo(1), 1);
  for (let s = 10; s <= 100; s += 10) {
    clock.wallMs = T0 + s * 1000;
    counter.tick();
  }
  counter.count(rep('r'), 200, clock.startedAgo(1), 1);
  clock.wallMs = T0 + 110_000;
  counter.tick();
  assert.deepEqual(sink.lines().map((l) => [l.time, l.requests]), [
    ['2030-01-01T00:00:00.000Z', 1],
    ['2030-01-01T00:01:40.000Z', 1],
  ]);
});

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-traffic-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('traffic.log: 0600, appended, rotated to traffic.log.1 past its size (one previous file kept)', async () => {
  const file = path.join(dir, 'router', 'traffic.log');
  const line = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(40) }) + '\n';
  let log = new TrafficLog(file, 200);
  log.append(line(1) + line(2));
  log.append(line(3));
  await log.close();
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { n: number }).n), [1, 2, 3]);

  // Reopened (a restarted router) it goes on from the file's size, and rotates.
  log = new TrafficLog(file, 200);
  log.append(line(4));
  log.append(line(5));
  log.append(line(6));
  log.append(line(7));
  await log.close();
  const ns = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { n: number }).n);
  const all = [...ns(`${file}.1`), ...ns(file)];
  assert.ok(ns(file).length > 0 && ns(`${file}.1`).length > 0, 'both files have lines');
  assert.deepEqual(all, all.slice().sort((x, y) => x - y), 'in order across the two files');
  assert.equal(all.at(-1), 7);
  assert.equal(statSync(file).mode & 0o777, 0o600);
});
