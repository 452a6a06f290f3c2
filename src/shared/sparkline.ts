import type { MetricPoint } from '../core/metrics.js';

// Text renderings of a series for the terminal: a unicode sparkline over the time window,
// and values in the unit a person reads (MiB, %, /s, ms).

const BARS = '▁▂▃▄▅▆▇█';

/** One bar per value, scaled from the smallest to the largest; null is a gap (a space). */
export function sparkline(values: ReadonlyArray<number | null>): string {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (present.length === 0) return ' '.repeat(values.length);
  const min = Math.min(...present);
  const max = Math.max(...present);
  return values
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      if (max === min) return max === 0 ? BARS[0] : BARS[3];
      return BARS[Math.min(BARS.length - 1, Math.floor(((v - min) / (max - min)) * BARS.length))];
    })
    .join('');
}

/** Averages points into `width` equal time slots over [since, until]; a slot without points is null. */
export function slots(points: readonly MetricPoint[], since: number, until: number, width: number): Array<number | null> {
  const sums = new Array<number>(width).fill(0);
  const counts = new Array<number>(width).fill(0);
  const span = Math.max(1, until - since);
  for (const p of points) {
    const i = Math.min(width - 1, Math.max(0, Math.floor(((p.t - since) / span) * width)));
    sums[i]! += p.value;
    counts[i]!++;
  }
  return sums.map((s, i) => (counts[i] === 0 ? null : s / counts[i]!));
}

const round = (n: number, digits: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(digits));

/** A value of the named series as people read it. */
export function formatMetric(name: string, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '-';
  if (name === 'memory_bytes' || name === 'db_size_bytes') return `${round(value / 1024 / 1024, 1)} MiB`;
  if (name === 'cpu_percent') return `${round(value, 1)}%`;
  if (name === 'error_rate') return `${round(value * 100, 2)}%`;
  if (name.endsWith('_ms')) return `${round(value, 1)} ms`;
  if (name === 'bytes_out_per_second') return `${round(value / 1024, 1)} KiB/s`;
  if (name === 'requests_per_second' || name.startsWith('status_')) return `${round(value, 2)}/s`;
  return round(value, value % 1 === 0 ? 0 : 1);
}
