import type { MetricName } from '../../core/metrics.js';
import { WharfError } from '../../core/errors.js';

// The words of alert rules: event patterns, metric names as users type them, durations.

/** The short names users type (Railway's monitors say cpu and memory) → series names. */
export const METRIC_ALIASES: Readonly<Record<string, MetricName>> = {
  cpu: 'cpu_percent',
  memory: 'memory_bytes',
  mem: 'memory_bytes',
  error_rate: 'error_rate',
  errors: 'error_rate',
  '5xx': 'status_5xx',
  latency: 'latency_p95_ms',
  latency_p50: 'latency_p50_ms',
  latency_p95: 'latency_p95_ms',
  latency_p99: 'latency_p99_ms',
  restarts: 'restarts',
  rps: 'requests_per_second',
  requests: 'requests_per_second',
};

const METRIC_NAMES: readonly MetricName[] = [
  'cpu_percent', 'memory_bytes', 'restarts', 'requests_per_second', 'status_2xx', 'status_3xx', 'status_4xx', 'status_5xx', 'error_rate',
  'latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms', 'bytes_out_per_second', 'db_connections', 'db_size_bytes',
];

export function metricName(input: string): MetricName {
  const key = input.trim().toLowerCase().replace(/-/g, '_');
  const found = METRIC_ALIASES[key] ?? METRIC_NAMES.find((m) => m === key);
  if (!found) {
    throw new WharfError('BAD_REQUEST', `unknown metric '${input}'`, { hint: `Use one of: ${Object.keys(METRIC_ALIASES).join(', ')} (or a series name: ${METRIC_NAMES.join(', ')}).` });
  }
  return found;
}

/** Thresholds are typed in the metric's user unit: memory and sizes in MB; the series are in bytes. */
export function userUnitFactor(metric: MetricName): number {
  return metric === 'memory_bytes' || metric === 'db_size_bytes' ? 1024 * 1024 : 1;
}

export function unitLabel(metric: MetricName): string {
  if (metric === 'cpu_percent') return '%';
  if (metric === 'memory_bytes' || metric === 'db_size_bytes') return ' MB';
  if (metric.endsWith('_ms')) return ' ms';
  if (metric === 'error_rate') return '%';
  if (metric.startsWith('status_') || metric === 'requests_per_second') return '/s';
  return '';
}

export function shortMetric(metric: MetricName): string {
  return Object.entries(METRIC_ALIASES).find(([, m]) => m === metric)?.[0] ?? metric;
}

/** `90s`, `5m`, `1h`, `1h30m`, `250ms` or a number of seconds → ms. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') return Math.round(input * 1000);
  const text = input.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/.exec(rest);
    if (!m) throw new WharfError('BAD_REQUEST', `'${input}' is not a duration`, { hint: 'Write durations like 30s, 5m, 1h or 1h30m.' });
    total += Number(m[1]) * unit[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (text.length === 0) throw new WharfError('BAD_REQUEST', 'an empty duration');
  return Math.round(total);
}

/** An age or a wait as people read it: `45s`, `12m`, `3h 5m`, `2d 4h`. */
export function roughDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * Event patterns: an exact kind (`deployment.failed`), a prefix ending in a dot (`cron.`) or
 * `.*` (`cron.*`), or `*` for every event.
 */
export function checkEventPattern(pattern: string): string {
  const p = pattern.trim();
  if (!/^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.|\.\*)?)$/.test(p)) {
    throw new WharfError('BAD_REQUEST', `'${pattern}' is not an event pattern`, { hint: 'Use an event kind (deployment.failed, service.crashed), a prefix (cron. or cron.*), or * for every event.' });
  }
  return p;
}

export function eventMatches(pattern: string, kind: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return kind.startsWith(pattern.slice(0, -1));
  if (pattern.endsWith('.')) return kind.startsWith(pattern);
  return kind === pattern;
}
