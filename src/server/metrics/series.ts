import type { MetricName } from '../../core/metrics.js';

// How each series is combined when points meet: several samples in one bucket, or finer
// buckets rolled up into a coarser one. Every point carries `samples`, its weight:
//  - gauges (cpu, memory, db) count ticks, rates (per second) count 10 s buckets: samples-weighted mean;
//  - error_rate and latency_p50 count requests: a request-weighted mean (error_rate rolls up exactly,
//    p50 approximately);
//  - latency_p95/p99 take the max of the finer buckets' percentiles: a percentile cannot be rebuilt
//    from percentiles, and the max is a conservative (upper) bound, never an understatement;
//  - restarts is a counter: max.

export type Combine = 'mean' | 'max';

export const METRIC_NAMES: readonly MetricName[] = [
  'cpu_percent',
  'memory_bytes',
  'restarts',
  'requests_per_second',
  'status_2xx',
  'status_3xx',
  'status_4xx',
  'status_5xx',
  'error_rate',
  'latency_p50_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'bytes_out_per_second',
  'db_connections',
  'db_size_bytes',
];

export function combineOf(name: MetricName): Combine {
  return name === 'restarts' || name === 'latency_p95_ms' || name === 'latency_p99_ms' ? 'max' : 'mean';
}

export function isMetricName(value: string): value is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(value);
}

/** Per-second series from the router's traffic log: a bucket without requests is a real zero. */
export const RATE_METRICS: readonly MetricName[] = [
  'requests_per_second',
  'status_2xx',
  'status_3xx',
  'status_4xx',
  'status_5xx',
  'bytes_out_per_second',
];

export interface WeightedValue {
  value: number;
  samples: number;
}

/** Folds points of one series into one (a rollup, or a late merge into a stored bucket). */
export function combine(name: MetricName, points: readonly WeightedValue[]): WeightedValue | null {
  if (points.length === 0) return null;
  const samples = points.reduce((sum, p) => sum + p.samples, 0);
  if (combineOf(name) === 'max') return { value: Math.max(...points.map((p) => p.value)), samples };
  if (samples <= 0) return { value: points.reduce((sum, p) => sum + p.value, 0) / points.length, samples: 0 };
  return { value: points.reduce((sum, p) => sum + p.value * p.samples, 0) / samples, samples };
}

/** Nearest-rank percentile (q in 0..100) of values sorted ascending; null for none. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((q / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}
