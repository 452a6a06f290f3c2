import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricName } from '../../core/metrics.js';
import { DEFAULT_RETENTION, parseRetention } from './retention.js';
import { combine, percentile, type WeightedValue } from './series.js';
import { formatMetric, slots, sparkline } from '../../shared/sparkline.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

const percentiles: Array<[string, number[], number, number | null]> = [
  ['empty', [], 50, null],
  ['one value', [7], 99, 7],
  ['p50 of 1..100', range(100), 50, 50],
  ['p95 of 1..100', range(100), 95, 95],
  ['p99 of 1..100', range(100), 99, 99],
  ['p100 is the max', range(10), 100, 10],
  ['p0 is the min', range(10), 0, 1],
  ['p99 of 10 values is the max (nearest rank)', range(10), 99, 10],
  ['p50 of an even count takes the lower middle', [1, 2, 3, 4], 50, 2],
  ['a single outlier shows in p99 of 100', [...new Array(99).fill(5), 900], 99, 5],
  ['… and is the p99 of 99 + 1', [...new Array(98).fill(5), 900], 99, 900],
];
for (const [what, values, q, expected] of percentiles) {
  test(`percentile: ${what}`, () => assert.equal(percentile(values, q), expected));
}

const combines: Array<[string, MetricName, WeightedValue[], WeightedValue | null]> = [
  ['nothing', 'cpu_percent', [], null],
  ['gauge: samples-weighted mean', 'cpu_percent', [{ value: 10, samples: 1 }, { value: 40, samples: 2 }], { value: 30, samples: 3 }],
  ['rate: mean of buckets', 'requests_per_second', [{ value: 2, samples: 1 }, { value: 4, samples: 1 }, { value: 0, samples: 1 }], { value: 2, samples: 3 }],
  ['error_rate: weighted by requests (exact)', 'error_rate', [{ value: 0.5, samples: 10 }, { value: 0, samples: 90 }], { value: 0.05, samples: 100 }],
  ['p50: request-weighted mean', 'latency_p50_ms', [{ value: 10, samples: 3 }, { value: 50, samples: 1 }], { value: 20, samples: 4 }],
  ['p95: max (upper bound)', 'latency_p95_ms', [{ value: 10, samples: 1000 }, { value: 300, samples: 1 }], { value: 300, samples: 1001 }],
  ['p99: max (upper bound)', 'latency_p99_ms', [{ value: 12, samples: 5 }, { value: 8, samples: 5 }], { value: 12, samples: 10 }],
  ['restarts: max', 'restarts', [{ value: 1, samples: 1 }, { value: 3, samples: 1 }, { value: 2, samples: 1 }], { value: 3, samples: 3 }],
];
for (const [what, name, points, expected] of combines) {
  test(`combine: ${what}`, () => assert.deepEqual(combine(name, points), expected));
}

const sparks: Array<[string, Array<number | null>, string]> = [
  ['empty', [], ''],
  ['rising', [0, 1, 2, 3, 4, 5, 6, 7], '▁▂▃▄▅▆▇█'],
  ['flat zero', [0, 0, 0], '▁▁▁'],
  ['flat non-zero', [5, 5], '▄▄'],
  ['gaps are spaces', [1, null, 3], '▁ █'],
  ['all gaps', [null, null], '  '],
  ['min and max only', [10, 20, 10], '▁█▁'],
];
for (const [what, values, expected] of sparks) {
  test(`sparkline: ${what}`, () => assert.equal(sparkline(values), expected));
}

test('slots: averages points into equal time slots, empty slots are null', () => {
  const points = [
    { t: 0, value: 1 },
    { t: 10, value: 3 },
    { t: 60, value: 8 },
  ];
  assert.deepEqual(slots(points, 0, 80, 4), [2, null, null, 8]);
  assert.deepEqual(slots([{ t: 500, value: 1 }], 0, 80, 2), [null, 1], 'points past the end land in the last slot');
});

const formats: Array<[string, number | null, string]> = [
  ['memory_bytes', 52428800, '50.0 MiB'],
  ['memory_bytes', 2147483648, '2048 MiB'],
  ['cpu_percent', 61.234, '61.2%'],
  ['error_rate', 0.0123, '1.23%'],
  ['latency_p95_ms', 4.56, '4.6 ms'],
  ['requests_per_second', 0.3, '0.30/s'],
  ['bytes_out_per_second', 2048, '2.0 KiB/s'],
  ['restarts', 3, '3'],
  ['cpu_percent', null, '-'],
];
for (const [name, value, expected] of formats) {
  test(`formatMetric: ${name} ${value}`, () => assert.equal(formatMetric(name, value), expected));
}

test('parseRetention: defaults, overrides of any subset, errors', () => {
  assert.deepEqual(parseRetention(undefined), DEFAULT_RETENTION);
  assert.deepEqual(parseRetention('10s=2h'), { ...DEFAULT_RETENTION, 10: 2 * 3600e3 });
  assert.deepEqual(parseRetention('1m=1d, 1h=365d'), { ...DEFAULT_RETENTION, 60: 86400e3, 3600: 365 * 86400e3 });
  assert.throws(() => parseRetention('5s=1h'), /WHARF_METRICS_RETENTION/);
  assert.throws(() => parseRetention('10s=forever'), /WHARF_METRICS_RETENTION/);
});
