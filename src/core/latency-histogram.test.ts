import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  histogramPercentiles,
  LATENCY_BINS,
  LATENCY_MAX_MS,
  LATENCY_MIN_MS,
  LATENCY_RELATIVE_ERROR,
  latencyBin,
  latencyBinValue,
  mergeHistogram,
  type SparseHistogram,
} from './latency-histogram.js';

// A small seeded generator: the same "random" data on every run.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function nearestRank(sorted: readonly number[], q: number): number {
  const rank = Math.ceil((q / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

function histogramOf(values: readonly number[]): SparseHistogram {
  const h: SparseHistogram = new Map();
  for (const v of values) {
    const bin = latencyBin(v);
    h.set(bin, (h.get(bin) ?? 0) + 1);
  }
  return h;
}

const QS = [1, 50, 90, 95, 99, 99.9, 100];
const TOLERANCE = LATENCY_RELATIVE_ERROR * (1 + 1e-9);

test('the bins: ~2 % wide, under 1 % from any value in range, about 900 of them', () => {
  assert.ok(LATENCY_RELATIVE_ERROR < 0.01);
  assert.ok(LATENCY_BINS > 800 && LATENCY_BINS < 1000, `${LATENCY_BINS} bins`);
  const next = random(7);
  for (let i = 0; i < 100_000; i++) {
    // Log-uniform over the whole range.
    const v = LATENCY_MIN_MS * Math.pow(LATENCY_MAX_MS / LATENCY_MIN_MS, next());
    const bin = latencyBin(v);
    assert.ok(bin >= 1 && bin < LATENCY_BINS - 1, `${v} → bin ${bin}`);
    const error = Math.abs(latencyBinValue(bin) - v) / v;
    assert.ok(error <= TOLERANCE, `${v} ms → ${latencyBinValue(bin)} ms (${(error * 100).toFixed(3)} %)`);
  }
  // Below the range, above it, and what is not a duration.
  assert.equal(latencyBin(0), 0);
  assert.equal(latencyBin(0.001), 0);
  assert.equal(latencyBin(-1), 0);
  assert.equal(latencyBin(Number.NaN), 0);
  assert.equal(latencyBin(LATENCY_MAX_MS), LATENCY_BINS - 1);
  assert.equal(latencyBin(Number.POSITIVE_INFINITY), LATENCY_BINS - 1);
  assert.equal(latencyBinValue(0), LATENCY_MIN_MS);
  assert.equal(latencyBinValue(LATENCY_BINS - 1), LATENCY_MAX_MS);
  // Monotonic: a longer duration never lands in a lower bin.
  let last = 0;
  for (let v = 0.005; v < 2_000_000; v *= 1.003) {
    const bin = latencyBin(v);
    assert.ok(bin >= last, `${v}`);
    last = bin;
  }
});

const datasets: Array<[string, (next: () => number) => number]> = [
  ['uniform 0–50 ms', (next) => next() * 50],
  ['log-normal around 5 ms with a tail', (next) => Math.exp(Math.log(5) + 1.2 * Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next()))],
  ['mostly fast, 2 % slow (1–3 s)', (next) => (next() < 0.02 ? 1000 + next() * 2000 : 0.05 + next() * 2)],
  ['sub-millisecond', (next) => 0.01 + next() * 0.5],
];

for (const [what, draw] of datasets) {
  test(`percentiles within the bin error of exact nearest-rank: ${what}`, () => {
    for (const [seed, n] of [[1, 1], [2, 7], [3, 100], [4, 10_000], [5, 100_000]] as const) {
      const next = random(seed);
      const values = Array.from({ length: n }, () => draw(next));
      const sorted = [...values].sort((a, b) => a - b);
      const got = histogramPercentiles(histogramOf(values), QS);
      for (const [k, q] of QS.entries()) {
        const exact = nearestRank(sorted, q);
        const error = Math.abs(got[k]! - exact) / exact;
        assert.ok(error <= TOLERANCE, `n=${n} p${q}: ${got[k]} vs exact ${exact} (${(error * 100).toFixed(3)} %)`);
      }
    }
  });
}

test('merging histograms is the histogram of all the values', () => {
  const next = random(11);
  const a = Array.from({ length: 5_000 }, () => next() * 20);
  const b = Array.from({ length: 300 }, () => 200 + next() * 100);
  const merged: SparseHistogram = new Map();
  mergeHistogram(merged, histogramOf(a));
  mergeHistogram(merged, histogramOf(b));
  assert.deepEqual([...merged.entries()].sort((x, y) => x[0] - y[0]), [...histogramOf([...a, ...b]).entries()].sort((x, y) => x[0] - y[0]));
  const sorted = [...a, ...b].sort((x, y) => x - y);
  const [p50, p99] = histogramPercentiles(merged, [50, 99]);
  assert.ok(Math.abs(p50! - nearestRank(sorted, 50)) / nearestRank(sorted, 50) <= TOLERANCE);
  assert.ok(Math.abs(p99! - nearestRank(sorted, 99)) / nearestRank(sorted, 99) <= TOLERANCE, 'the slow 5 % from b shows in the p99');
  // Pairs from a file merge the same way.
  const fromPairs: SparseHistogram = new Map();
  mergeHistogram(fromPairs, [[10, 2], [12, 1]]);
  mergeHistogram(fromPairs, [[12, 3]]);
  assert.deepEqual([...fromPairs], [[10, 2], [12, 4]]);
});

test('an empty histogram has no percentiles', () => {
  assert.deepEqual(histogramPercentiles(new Map(), [50, 99]), [null, null]);
  assert.deepEqual(histogramPercentiles(new Map([[5, 0]]), [50]), [null]);
});
