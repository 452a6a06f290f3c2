import { performance } from 'node:perf_hooks';
import { LATENCY_BINS, LATENCY_GROWTH, LATENCY_MIN_MS, latencyBin } from '../core/latency-histogram.js';
import { TRAFFIC_BUCKET_MS, trafficBucketStart, type TrafficLine } from '../core/traffic.js';

// Request metrics, aggregated where the requests are: per 10 s wall-clock bucket and target
// (replica), the request count, responses per status class, bytes out and a latency histogram.
// When a bucket ends (seen by the first request of a newer bucket, or by a 1 s timer) each target
// that had requests becomes one line of traffic.log (src/core/traffic.ts), which the control
// plane's metrics collector reads. Per request: one Map lookup and a few increments into arrays
// allocated once per target, no allocation. Requests without a target (no route, no replica)
// belong to no service and are not counted.

const CHECK_INTERVAL_MS = 1_000;
/** A target without requests for this many buckets gives its arrays back (it was likely removed). */
const IDLE_BUCKETS = 6;

export interface TrafficClock {
  /** Wall-clock ms: bucket boundaries. */
  wall(): number;
  /** The clock request starts are read from (performance.now()): durations. */
  mono(): number;
}

const SYSTEM_CLOCK: TrafficClock = { wall: Date.now, mono: () => performance.now() };

interface Slot {
  requests: number;
  bytesOut: number;
  /** Index = status / 100; 0 unused. */
  readonly classes: Float64Array;
  readonly latency: Uint32Array;
  idleBuckets: number;
}

export class TrafficCounter {
  private readonly slots = new Map<string, Slot>();
  private bucket: number;
  /** The mono() time at which the current bucket ends. */
  private endsAt: number;
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly sink: { append(text: string): void; close(): Promise<void> },
    private readonly clock: TrafficClock = SYSTEM_CLOCK,
    options: { timer?: boolean } = {},
  ) {
    const wall = clock.wall();
    this.bucket = trafficBucketStart(wall);
    this.endsAt = clock.mono() + (this.bucket + TRAFFIC_BUCKET_MS - wall);
    this.timer = options.timer === false ? null : setInterval(() => this.tick(), CHECK_INTERVAL_MS);
    this.timer?.unref();
  }

  /** One finished request; `start` is its mono() start time. */
  count(target: { readonly id: string } | null, status: number, start: number, bytesOut: number): void {
    if (target === null) return;
    const now = this.clock.mono();
    if (now >= this.endsAt) this.roll();
    let slot = this.slots.get(target.id);
    if (slot === undefined) {
      slot = { requests: 0, bytesOut: 0, classes: new Float64Array(6), latency: new Uint32Array(LATENCY_BINS), idleBuckets: 0 };
      this.slots.set(target.id, slot);
    }
    slot.requests++;
    slot.bytesOut += bytesOut;
    const cls = (status / 100) | 0;
    if (cls >= 1 && cls <= 5) slot.classes[cls]!++;
    slot.latency[latencyBin(now - start)]!++;
  }

  /** Writes the current bucket if it has ended (the timer's check). */
  tick(): void {
    if (this.clock.mono() >= this.endsAt) this.roll();
  }

  /** Writes the open bucket (at shutdown) and closes the file. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.sink.append(this.drain());
    await this.sink.close();
  }

  private roll(): void {
    const wall = this.clock.wall();
    const bucket = trafficBucketStart(wall);
    if (bucket !== this.bucket) {
      this.sink.append(this.drain());
      this.bucket = bucket;
    }
    // Re-read against the wall clock every bucket: the two clocks may drift apart.
    this.endsAt = this.clock.mono() + (bucket + TRAFFIC_BUCKET_MS - wall);
  }

  /** The current bucket's lines; the slots start over. */
  private drain(): string {
    let text = '';
    const time = new Date(this.bucket).toISOString();
    for (const [target, slot] of this.slots) {
      if (slot.requests === 0) {
        if (++slot.idleBuckets >= IDLE_BUCKETS) this.slots.delete(target);
        continue;
      }
      const bins: Array<[number, number]> = [];
      const h = slot.latency;
      for (let i = 0; i < h.length; i++) if (h[i] !== 0) bins.push([i, h[i]!]);
      const c = slot.classes;
      const line: TrafficLine = {
        time,
        seconds: TRAFFIC_BUCKET_MS / 1000,
        target,
        requests: slot.requests,
        status: { '1xx': c[1]!, '2xx': c[2]!, '3xx': c[3]!, '4xx': c[4]!, '5xx': c[5]! },
        bytesOut: slot.bytesOut,
        latency: { minMs: LATENCY_MIN_MS, growth: LATENCY_GROWTH, bins },
      };
      text += JSON.stringify(line) + '\n';
      slot.requests = 0;
      slot.bytesOut = 0;
      slot.idleBuckets = 0;
      c.fill(0);
      h.fill(0);
    }
    return text;
  }
}
