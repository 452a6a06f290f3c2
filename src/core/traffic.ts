import { LATENCY_GROWTH, LATENCY_MIN_MS } from './latency-histogram.js';

// The router's traffic log (`<WHARF_HOME>/logs/router/traffic.log`): one JSON line per 10 s
// wall-clock bucket and target (replica) that had requests, written by the router when the
// bucket ends and read by the control plane's metrics collector. Counts are exact; latency is a
// histogram (latency-histogram.ts).

export const TRAFFIC_BUCKET_MS = 10_000;

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
export const STATUS_CLASSES: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export interface TrafficLine {
  /** The bucket's start (ISO time, a multiple of 10 s). */
  time: string;
  seconds: number;
  /** The replica id requests went to. */
  target: string;
  requests: number;
  /** Responses per status class (a client that went away is 499). */
  status: Record<StatusClass, number>;
  bytesOut: number;
  /** Request durations: the bins' scheme and the non-empty [bin, count] pairs, bins ascending. */
  latency: { minMs: number; growth: number; bins: Array<[number, number]> };
}

export function trafficBucketStart(ms: number): number {
  return Math.floor(ms / TRAFFIC_BUCKET_MS) * TRAFFIC_BUCKET_MS;
}

/**
 * A traffic line, or null when `raw` is not one. A histogram of another bin scheme is dropped
 * (counts are kept): its bins would mean other durations.
 */
export function parseTrafficLine(raw: string): TrafficLine | null {
  let r: Partial<TrafficLine>;
  try {
    r = JSON.parse(raw) as Partial<TrafficLine>;
  } catch {
    return null;
  }
  if (typeof r !== 'object' || r === null) return null;
  if (typeof r.time !== 'string' || Number.isNaN(Date.parse(r.time)) || typeof r.target !== 'string' || !isCount(r.requests)) return null;
  const status = {} as Record<StatusClass, number>;
  for (const c of STATUS_CLASSES) {
    const n = (r.status as Record<string, unknown> | undefined)?.[c];
    status[c] = isCount(n) ? n : 0;
  }
  const latency = r.latency;
  const sameScheme = latency !== undefined && latency.minMs === LATENCY_MIN_MS && latency.growth === LATENCY_GROWTH && Array.isArray(latency.bins);
  const bins = sameScheme ? latency.bins.filter((b): b is [number, number] => Array.isArray(b) && Number.isInteger(b[0]) && b[0] >= 0 && isCount(b[1])) : [];
  return {
    time: r.time,
    seconds: typeof r.seconds === 'number' ? r.seconds : TRAFFIC_BUCKET_MS / 1000,
    target: r.target,
    requests: r.requests,
    status,
    bytesOut: isCount(r.bytesOut) ? r.bytesOut : 0,
    latency: { minMs: LATENCY_MIN_MS, growth: LATENCY_GROWTH, bins },
  };
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0;
}
