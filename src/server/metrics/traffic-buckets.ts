import { histogramPercentiles, mergeHistogram, type SparseHistogram } from '../../core/latency-histogram.js';
import type { MetricName } from '../../core/metrics.js';
import { trafficBucketStart, type TrafficLine } from '../../core/traffic.js';
import type { PointWrite } from './metrics-store.js';
import { RATE_METRICS } from './series.js';

// The router's traffic lines → per-service 10 s buckets: request and status-class rates, the 5xx
// share, bytes out, and latency percentiles from the merged histograms of the bucket's lines
// (several replicas, or a bucket the router wrote twice across a restart, add up).

const BUCKET_S = 10;

export class BucketAcc {
  count = 0;
  classes = [0, 0, 0, 0, 0, 0]; // index = status / 100
  bytes = 0;
  latency: SparseHistogram = new Map();

  add(line: TrafficLine): void {
    this.count += line.requests;
    this.classes[1]! += line.status['1xx'];
    this.classes[2]! += line.status['2xx'];
    this.classes[3]! += line.status['3xx'];
    this.classes[4]! += line.status['4xx'];
    this.classes[5]! += line.status['5xx'];
    this.bytes += line.bytesOut;
    mergeHistogram(this.latency, line.latency.bins);
  }

  merge(from: BucketAcc): void {
    this.count += from.count;
    this.bytes += from.bytes;
    for (let i = 0; i < this.classes.length; i++) this.classes[i]! += from.classes[i]!;
    mergeHistogram(this.latency, from.latency);
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
      const weighted = (name: MetricName, value: number): PointWrite => ({ instanceId, name, t, value, samples: this.count });
      out.push(weighted('error_rate', this.classes[5]! / this.count));
      const [p50, p95, p99] = histogramPercentiles(this.latency, [50, 95, 99]);
      // A line without a histogram (another bin scheme) still counts requests, but has no latency.
      if (p50 != null && p95 != null && p99 != null) {
        out.push(weighted('latency_p50_ms', round(p50)));
        out.push(weighted('latency_p95_ms', round(p95)));
        out.push(weighted('latency_p99_ms', round(p99)));
      }
    }
    return out;
  }
}

/** Bins are ~2 % wide: more digits than 4 significant ones would be noise. */
function round(ms: number): number {
  return Number(ms.toPrecision(4));
}

/** A bucket in which a service had no request: its rates are zero (not unknown). */
export function zeroPoints(instanceId: string, t: number): PointWrite[] {
  return RATE_METRICS.map((name) => ({ instanceId, name, t, value: 0, samples: 1 }));
}

/** Groups traffic lines by 10 s bucket and service instance; lines whose target is unknown are skipped. */
export function bucketize(
  lines: readonly TrafficLine[],
  instanceOf: (replicaId: string) => string | undefined,
): { buckets: Map<number, Map<string, BucketAcc>>; unmatched: number } {
  const buckets = new Map<number, Map<string, BucketAcc>>();
  let unmatched = 0;
  for (const line of lines) {
    const instanceId = instanceOf(line.target);
    if (instanceId === undefined) {
      unmatched++;
      continue;
    }
    const t = trafficBucketStart(Date.parse(line.time));
    let bucket = buckets.get(t);
    if (!bucket) buckets.set(t, (bucket = new Map()));
    let acc = bucket.get(instanceId);
    if (!acc) bucket.set(instanceId, (acc = new BucketAcc()));
    acc.add(line);
  }
  return { buckets, unmatched };
}
