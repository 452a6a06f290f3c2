import type { ReplicaState, ReplicaStats, ReplicaStatus } from '../../core/runtime.js';
import type { Logger } from '../deploy/context.js';
import { parseTrafficLine, type TrafficLine } from '../../core/traffic.js';
import { DatabaseSampler, type DatabaseStatsSource } from './database-stats.js';
import { tailLog, type TailPosition } from './log-tail.js';
import { bucketStart, type MetricsStore, type PointWrite } from './metrics-store.js';
import { BucketAcc, bucketize, zeroPoints } from './traffic-buckets.js';

// Samples every replica's CPU and memory through the runtime (stats(): each driver measures its
// own, from /proc or the engine) and reads the router's traffic log (per 10 s bucket and
// replica: request counts and latency histograms, src/router/traffic.ts) once a tick (10 s by
// default, WHARF_METRICS_INTERVAL_MS) into the metrics store, then rolls up and trims a bounded
// amount. A tick never throws out of the loop and never overlaps the next one. Databases'
// connections and sizes are asked for each tick too, without the tick waiting for them
// (database-stats.ts).

export const DEFAULT_INTERVAL_MS = 10_000;
/**
 * Traffic-log bytes read per tick at most (a backlog is caught up over ticks), in slices. A line
 * is one replica's 10 s bucket (a few KB at most), whatever its number of requests.
 */
const TRAFFIC_SLICE = 1024 * 1024;
const TRAFFIC_SLICES_PER_TICK = 8;
/** A bucket stays open this long after it ends: the router writes a bucket within ~1 s of its end. */
const CLOSE_GRACE_MS = 5_000;
const POSITION_KEY = 'traffic-log:position';
const LIVE: ReadonlySet<ReplicaState> = new Set(['starting', 'running', 'unhealthy', 'restarting']);
/** Replica → instance mappings remembered for records of replicas already removed. */
const MAX_KNOWN_REPLICAS = 10_000;

export interface MetricsCollectorOptions {
  store: MetricsStore;
  /** The runtime (or anything that lists and measures replicas the same way). */
  runtime: { list(): Promise<ReplicaStatus[]>; stats(replicaIds?: readonly string[]): Promise<ReplicaStats[]> };
  /** The replicas table: which instance a replica id belongs to, and which are routed. */
  replicas: () => Array<{ id: string; instanceId: string; routed: boolean }>;
  /** The router's traffic log (null: no request metrics). */
  trafficLog: string | null;
  /** The databases to ask for connections and size (absent: no database series). */
  databases?: () => DatabaseStatsSource[];
  /** How long a database may take to answer (default 5 s). */
  databaseTimeoutMs?: number;
  intervalMs?: number;
  logger?: Logger;
  now?: () => number;
}

export function metricsIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WHARF_METRICS_INTERVAL_MS;
  const value = raw === undefined || raw === '' ? DEFAULT_INTERVAL_MS : Number(raw);
  if (!Number.isInteger(value) || value < 100) throw new Error(`WHARF_METRICS_INTERVAL_MS must be a whole number ≥ 100, got '${raw}'`);
  return value;
}

/**
 * CPU % between two readings of a replica: the growth of its CPU seconds over the wall time
 * between them. Null on the first reading. A run that restarted counts from zero again, so a
 * smaller reading is the new run's own time.
 */
export function cpuPercent(previous: { cpuSeconds: number; at: number } | undefined, now: Pick<ReplicaStats, 'cpuSeconds' | 'at'>): number | null {
  if (!previous || now.at <= previous.at) return null;
  const used = now.cpuSeconds >= previous.cpuSeconds ? now.cpuSeconds - previous.cpuSeconds : now.cpuSeconds;
  return (used / ((now.at - previous.at) / 1000)) * 100;
}

export class MetricsCollector {
  readonly intervalMs: number;
  private readonly store: MetricsStore;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  /** Each replica's last CPU reading: CPU % is the growth of cpuSeconds over the interval. */
  private readonly cpu = new Map<string, { cpuSeconds: number; at: number }>();
  private readonly databases: DatabaseSampler | null;
  private readonly known = new Map<string, string>();
  private position: TailPosition = { ino: 0, offset: 0 };
  /** Buckets still taking records, by start; written (replaced) each tick while open. */
  private readonly open = new Map<number, Map<string, BucketAcc>>();
  private readonly dirty = new Set<number>();
  /** Buckets before this were written and forgotten: later records for them merge into the store. */
  private closedBefore: number;

  constructor(private readonly options: MetricsCollectorOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.databases = options.databases
      ? new DatabaseSampler({ sources: options.databases, write: (points) => this.store.add(points), timeoutMs: options.databaseTimeoutMs, logger: options.logger, now: this.now })
      : null;
    const saved = this.store.getState(POSITION_KEY);
    if (saved) {
      try {
        const p = JSON.parse(saved) as TailPosition;
        if (Number.isFinite(p.ino) && Number.isFinite(p.offset)) this.position = p;
      } catch {
        /* start over */
      }
    }
    // What an earlier run wrote for the current bucket stays: anything for it or before merges.
    this.closedBefore = bucketStart(this.now(), 10) + 10_000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops the loop, waits for a tick in progress, and writes the open buckets. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await this.databases?.close();
    try {
      this.flushBuckets(Number.POSITIVE_INFINITY);
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'metrics: could not write the last buckets');
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = null;
        this.schedule(this.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  /** One round of sampling, writing, rolling up and trimming. Never throws. */
  async tick(): Promise<void> {
    const step = async (what: string, fn: () => Promise<void> | void) => {
      try {
        await fn();
      } catch (error) {
        this.options.logger?.warn({ err: error }, `metrics: ${what} failed`);
      }
    };
    let statuses: ReplicaStatus[] = [];
    await step('listing replicas', async () => {
      statuses = await this.options.runtime.list();
    });
    await step('asking databases', () => this.databases?.start(new Set(statuses.filter((s) => LIVE.has(s.state)).map((s) => s.replicaId))));
    await step('sampling replicas', () => this.sampleReplicas(statuses));
    await step('reading the traffic log', () => this.readTrafficLog(statuses));
    await step('rolling up', () => void this.store.rollup(this.now()));
    await step('retention', () => void this.store.cleanup(this.now()));
  }

  private async sampleReplicas(statuses: readonly ReplicaStatus[]): Promise<void> {
    const t = this.now();
    const live = statuses.filter((s) => LIVE.has(s.state));
    const measured = live.length > 0 ? await this.options.runtime.stats(live.map((s) => s.replicaId)) : [];
    const usage = new Map(measured.map((m) => [m.replicaId, m]));
    const points: PointWrite[] = [];
    const perInstance = new Map<string, { memory: number; cpu: number | null; restarts: number }>();
    for (const s of live) {
      const sum = perInstance.get(s.serviceInstanceId) ?? { memory: 0, cpu: null, restarts: 0 };
      perInstance.set(s.serviceInstanceId, sum);
      sum.restarts += s.restarts;
      points.push({ instanceId: s.serviceInstanceId, replicaId: s.replicaId, name: 'restarts', t, value: s.restarts });
      const stats = usage.get(s.replicaId);
      if (!stats) {
        this.cpu.delete(s.replicaId);
        continue;
      }
      const memory = stats.memoryBytes;
      const cpu = cpuPercent(this.cpu.get(s.replicaId), stats);
      this.cpu.set(s.replicaId, { cpuSeconds: stats.cpuSeconds, at: stats.at });
      sum.memory += memory;
      points.push({ instanceId: s.serviceInstanceId, replicaId: s.replicaId, name: 'memory_bytes', t, value: memory });
      if (cpu !== null) {
        sum.cpu = (sum.cpu ?? 0) + cpu;
        points.push({ instanceId: s.serviceInstanceId, replicaId: s.replicaId, name: 'cpu_percent', t, value: cpu });
      }
    }
    for (const id of this.cpu.keys()) if (!live.some((s) => s.replicaId === id)) this.cpu.delete(id);
    for (const [instanceId, sum] of perInstance) {
      points.push({ instanceId, name: 'restarts', t, value: sum.restarts });
      points.push({ instanceId, name: 'memory_bytes', t, value: sum.memory });
      if (sum.cpu !== null) points.push({ instanceId, name: 'cpu_percent', t, value: sum.cpu });
    }
    this.store.add(points);
  }

  private readTrafficLog(statuses: readonly ReplicaStatus[]): void {
    const file = this.options.trafficLog;
    if (!file) return;
    const replicas = this.options.replicas();
    for (const r of replicas) this.remember(r.id, r.instanceId);
    for (const s of statuses) this.remember(s.replicaId, s.serviceInstanceId);
    for (let slice = 0; slice < TRAFFIC_SLICES_PER_TICK; slice++) {
      if (!this.readTrafficSlice(file, replicas)) break;
    }
  }

  /** One slice of the traffic log into the buckets; true when more is waiting. */
  private readTrafficSlice(file: string, replicas: ReturnType<MetricsCollectorOptions['replicas']>): boolean {
    const tail = tailLog(file, this.position, TRAFFIC_SLICE);
    const lines = tail.lines.map(parseTrafficLine).filter((l): l is TrafficLine => l !== null);
    const { buckets } = bucketize(lines, (id) => this.known.get(id));
    const late: PointWrite[] = [];
    for (const [t, byInstance] of buckets) {
      if (t < this.closedBefore) {
        for (const [instanceId, acc] of byInstance) late.push(...acc.points(instanceId, t));
        continue;
      }
      let bucket = this.open.get(t);
      if (!bucket) this.open.set(t, (bucket = new Map()));
      for (const [instanceId, acc] of byInstance) {
        const into = bucket.get(instanceId);
        if (!into) bucket.set(instanceId, acc);
        else into.merge(acc);
      }
      this.dirty.add(t);
    }
    const current = bucketStart(this.now(), 10);
    if (current >= this.closedBefore && !this.open.has(current)) this.open.set(current, new Map());
    const routed = new Set(replicas.filter((r) => r.routed).map((r) => r.instanceId));
    // The writes and the new position in one transaction: a crash neither loses nor counts twice.
    this.store.db.transaction(() => {
      this.store.mergeLate(late);
      this.flushBuckets(tail.more ? Number.NEGATIVE_INFINITY : this.now() - CLOSE_GRACE_MS, routed);
      this.store.setState(POSITION_KEY, JSON.stringify(tail.position));
    })();
    this.position = tail.position;
    return tail.more;
  }

  /** Writes dirty open buckets; buckets that ended before `closeBefore` are written a last time and forgotten. */
  private flushBuckets(closeBefore: number, routed: ReadonlySet<string> = new Set()): void {
    const points: PointWrite[] = [];
    for (const [t, bucket] of [...this.open].sort((a, b) => a[0] - b[0])) {
      const closing = t + 10_000 <= closeBefore;
      if (this.dirty.has(t) || closing) for (const [instanceId, acc] of bucket) points.push(...acc.points(instanceId, t));
      if (!closing) continue;
      for (const instanceId of routed) if (!bucket.has(instanceId)) points.push(...zeroPoints(instanceId, t));
      this.open.delete(t);
      this.closedBefore = Math.max(this.closedBefore, t + 10_000);
    }
    this.dirty.clear();
    this.store.put(points);
  }

  private remember(replicaId: string, instanceId: string): void {
    if (this.known.get(replicaId) === instanceId) return;
    this.known.delete(replicaId);
    this.known.set(replicaId, instanceId);
    if (this.known.size > MAX_KNOWN_REPLICAS) this.known.delete(this.known.keys().next().value!);
  }
}
