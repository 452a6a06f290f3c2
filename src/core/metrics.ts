// Metrics as the rest of Wharf sees them: named series per service instance (or replica),
// sampled into points, read back over a window. The metrics module collects and stores them;
// alert rules and the API read them through MetricsReader.

/** Series names. Per replica: cpu_percent, memory_bytes, restarts. Per service (router):
 *  requests_per_second, status_2xx/3xx/4xx/5xx (per second), latency_p50_ms/p95/p99,
 *  bytes_out_per_second. Per database: connections, size_bytes. */
export type MetricName =
  | 'cpu_percent'
  | 'memory_bytes'
  | 'restarts'
  | 'requests_per_second'
  | 'status_2xx'
  | 'status_3xx'
  | 'status_4xx'
  | 'status_5xx'
  | 'error_rate'
  | 'latency_p50_ms'
  | 'latency_p95_ms'
  | 'latency_p99_ms'
  | 'bytes_out_per_second'
  | 'db_connections'
  | 'db_size_bytes';

export interface MetricPoint {
  /** Start of the bucket, ms since epoch. */
  t: number;
  value: number;
}

export interface MetricSeries {
  name: MetricName;
  /** The service instance the series belongs to. */
  instanceId: string;
  /** Set for per-replica series; absent for the service's aggregate. */
  replicaId?: string;
  points: MetricPoint[];
}

export interface MetricsReader {
  /** The service's aggregate series over [since, until], at the finest resolution kept for that age. */
  series(instanceId: string, name: MetricName, since: number, until?: number): MetricPoint[];
  /** Mean of the service's aggregate over the last `windowMs` (null when there are no points). */
  average(instanceId: string, name: MetricName, windowMs: number): number | null;
}
