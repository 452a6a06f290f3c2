import type { MetricName } from '../../core/metrics.js';
import type { AccessLine } from './access-tail.js';
import type { PointWrite } from './metrics-store.js';
import { bucketStart } from './metrics-store.js';
import { percentile, RATE_METRICS } from './series.js';

// Access records → per-service 10 s buckets: request and status-class rates, the 5xx share,
// bytes out, and latency percentiles computed from that bucket's own durations.

/** Durations kept per bucket and service; beyond it a uniform reservoir sample stands in. */
const MAX_DURATIONS = 50_000;
const BUCKET_S = 10;

export class BucketAcc {
  count = 0;
  classes = [0, 0, 0, 0, 0, 0]; // index = status / 100
  bytes = 0;
  durations: number[] = [];

  add(line: AccessLine): void {
    this.count++;
    const cls = Math.floor(line.status / 100);
    if (cls >= 1 && cls <= 5) this.classes[cls]!++;
    this.bytes += line.bytesOut;
    if (this.durations.length < MAX_DURATIONS) this.durations.push(line.durationMs);
    else {
      const i = Math.floor(Math.random() * this.count);
      if (i < MAX_DURATIONS) this.durations[i] = line.durationMs;
    }
  }

  /** The bucket's points; `samples` is 1 for rates (one 10 s bucket) and the request count otherwise. */
  points(instanceId: string, t: number): PointWrite[] {
    const rate = (name: MetricName, n: number): PointWrite => ({ instanceId, name, t, value: n / BUCKET_S, samples: 1 });
    const out: PointWrite[] = [
      rate('requests_per_second', this.count),
      rate('status_2xx', this.classes[2]!),
      rate('status_3xx', this.classes[3]!),
      rate('status_4xx', this.classes[4]!),
      rate('status_5xx', this.classes[5]!),
      rate('bytes_out_per_second', this.bytes),
    ];
    if (this.count > 0) {
      const sorted = [...this.durations].sort((a, b) => a - b);
      const weighted = (name: MetricName, value: number): PointWrite => ({ instanceId, name, t, value, samples: this.count });
      out.push(weighted('error_rate', this.classes[5]! / this.count));
      out.push(weighted('latency_p50_ms', percentile(sorted, 50)!));
      out.push(weighted('latency_p95_ms', percentile(sorted, 95)!));
      out.push(weighted('latency_p99_ms', percentile(sorted, 99)!));
    }
    return out;
  }
}

/** A bucket in which a service had no request: its rates are zero (not unknown). */
export function zeroPoints(instanceId: string, t: number): PointWrite[] {
  return RATE_METRICS.map((name) => ({ instanceId, name, t, value: 0, samples: 1 }));
}

/** Groups records by 10 s bucket and service instance; records whose target is unknown are skipped. */
export function bucketize(
  lines: readonly AccessLine[],
  instanceOf: (replicaId: string) => string | undefined,
): { buckets: Map<number, Map<string, BucketAcc>>; unmatched: number } {
  const buckets = new Map<number, Map<string, BucketAcc>>();
  let unmatched = 0;
  for (const line of lines) {
    const instanceId = line.target === null ? undefined : instanceOf(line.target);
    const time = Date.parse(line.time);
    if (instanceId === undefined || Number.isNaN(time)) {
      unmatched++;
      continue;
    }
    const t = bucketStart(time, BUCKET_S);
    let bucket = buckets.get(t);
    if (!bucket) buckets.set(t, (bucket = new Map()));
    let acc = bucket.get(instanceId);
    if (!acc) bucket.set(instanceId, (acc = new BucketAcc()));
    acc.add(line);
  }
  return { buckets, unmatched };
}
