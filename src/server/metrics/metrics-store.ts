import type Database from 'better-sqlite3';
import { openSqlite } from '../store/sqlite.js';
import type { MetricName, MetricPoint, MetricsReader } from '../../core/metrics.js';
import { DEFAULT_RETENTION, RESOLUTIONS, type Resolution, type Retention } from './retention.js';
import { combine, combineOf, RATE_METRICS, type WeightedValue } from './series.js';

// Time series in their own SQLite file (<WHARF_HOME>/metrics.db, WAL): metrics writes never
// wait on, or hold up, the control plane's state database.
//
// One row per (instance, replica or '', metric, resolution, bucket start). `samples` is the
// point's weight (see series.ts), so buckets merge and roll up without losing the averages.

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS points (
     instance_id TEXT NOT NULL,
     replica_id TEXT NOT NULL DEFAULT '',
     name TEXT NOT NULL,
     resolution INTEGER NOT NULL,
     t INTEGER NOT NULL,
     value REAL NOT NULL,
     samples REAL NOT NULL DEFAULT 1
   )`,
  'CREATE UNIQUE INDEX IF NOT EXISTS points_series ON points (instance_id, replica_id, name, resolution, t)',
  'CREATE INDEX IF NOT EXISTS points_age ON points (resolution, t)',
  'CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
];

export interface PointWrite {
  instanceId: string;
  replicaId?: string;
  name: MetricName;
  /** Bucket start, ms. */
  t: number;
  value: number;
  samples?: number;
}

export interface StoredPoint extends MetricPoint {
  samples: number;
  resolution: Resolution;
}

interface Row {
  instance_id: string;
  replica_id: string;
  name: MetricName;
  t: number;
  value: number;
  samples: number;
}

export const bucketStart = (t: number, resolution: Resolution): number => Math.floor(t / (resolution * 1000)) * resolution * 1000;

/** Minutes rolled up per call and hours per call: bounded work per tick, catching up over ticks. */
const ROLLUP_BATCH: Record<60 | 3600, number> = { 60: 30, 3600: 2 };
/** A coarse bucket is rolled up this long after it ends, so late finer points are in. */
const ROLLUP_LAG_MS: Record<60 | 3600, number> = { 60: 25_000, 3600: 90_000 };
const CLEANUP_BATCH = 2000;
/** A window never returns more points than this per series: a coarser resolution answers a long one. */
export const MAX_POINTS = 3000;

export class MetricsStore implements MetricsReader {
  readonly db: Database.Database;
  private readonly retention: Retention;
  private readonly now: () => number;

  constructor(file: string, options: { retention?: Retention; now?: () => number } = {}) {
    this.db = openSqlite(file, SCHEMA);
    this.retention = options.retention ?? DEFAULT_RETENTION;
    this.now = options.now ?? Date.now;
  }

  close(): void {
    this.db.close();
  }

  // ---- writing ----

  /**
   * 10 s points, merged into what the bucket already holds (several ticks in one bucket):
   * samples-weighted mean, or max for max-combined series.
   */
  add(points: readonly PointWrite[]): void {
    if (points.length === 0) return;
    const mean = this.db.prepare(
      `INSERT INTO points (instance_id, replica_id, name, resolution, t, value, samples) VALUES (?, ?, ?, 10, ?, ?, ?)
       ON CONFLICT (instance_id, replica_id, name, resolution, t) DO UPDATE SET
         value = CASE WHEN samples + excluded.samples > 0 THEN (value * samples + excluded.value * excluded.samples) / (samples + excluded.samples) ELSE excluded.value END,
         samples = samples + excluded.samples`,
    );
    const max = this.db.prepare(
      `INSERT INTO points (instance_id, replica_id, name, resolution, t, value, samples) VALUES (?, ?, ?, 10, ?, ?, ?)
       ON CONFLICT (instance_id, replica_id, name, resolution, t) DO UPDATE SET
         value = max(value, excluded.value), samples = samples + excluded.samples`,
    );
    this.db.transaction(() => {
      for (const p of points) {
        const stmt = combineOf(p.name) === 'max' ? max : mean;
        stmt.run(p.instanceId, p.replicaId ?? '', p.name, bucketStart(p.t, 10), p.value, p.samples ?? 1);
      }
    })();
  }

  /** 10 s points that replace what the bucket holds (a bucket recomputed from all its records). */
  put(points: readonly PointWrite[]): void {
    if (points.length === 0) return;
    const stmt = this.db.prepare(
      `INSERT INTO points (instance_id, replica_id, name, resolution, t, value, samples) VALUES (?, ?, ?, 10, ?, ?, ?)
       ON CONFLICT (instance_id, replica_id, name, resolution, t) DO UPDATE SET value = excluded.value, samples = excluded.samples`,
    );
    this.db.transaction(() => {
      for (const p of points) stmt.run(p.instanceId, p.replicaId ?? '', p.name, bucketStart(p.t, 10), p.value, p.samples ?? 1);
    })();
  }

  /**
   * Late traffic-log lines for a bucket already written and forgotten: rates add up (same
   * 10 s bucket), the rest combine by their rule (weighted mean, or max for p95/p99).
   */
  mergeLate(points: readonly PointWrite[]): void {
    const get = this.db.prepare("SELECT value, samples FROM points WHERE instance_id = ? AND replica_id = ? AND name = ? AND resolution = 10 AND t = ?");
    const merged = points.map((p) => {
      const t = bucketStart(p.t, 10);
      const old = get.get(p.instanceId, p.replicaId ?? '', p.name, t) as WeightedValue | undefined;
      if (!old) return p;
      if (RATE_METRICS.includes(p.name)) return { ...p, t, value: old.value + p.value, samples: Math.max(old.samples, p.samples ?? 1) };
      return { ...p, t, ...combine(p.name, [old, { value: p.value, samples: p.samples ?? 1 }])! };
    });
    this.put(merged);
  }

  getState(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM state WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setState(key: string, value: string): void {
    this.db.prepare('INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // ---- rollups and retention ----

  /**
   * Rolls finished 10 s buckets into 1 min points and finished minutes into 1 h points, a bounded
   * number of coarse buckets per call (it catches up over calls). Returns coarse buckets written.
   */
  rollup(now = this.now()): number {
    return this.rollupLevel(10, 60, now) + this.rollupLevel(60, 3600, now);
  }

  private rollupLevel(from: Resolution, to: 60 | 3600, now: number): number {
    const key = `rollup:${to}`;
    const stepMs = to * 1000;
    let target = bucketStart(now - ROLLUP_LAG_MS[to], to);
    if (from !== 10) {
      // Only coarse buckets whose finer points are all rolled up already.
      const finer = this.getState(`rollup:${from}`);
      target = Math.min(target, finer === null ? 0 : bucketStart(Number(finer), to));
    }
    const saved = this.getState(key);
    let start = saved === null ? null : Number(saved);
    const first = this.db.prepare('SELECT min(t) AS t FROM points WHERE resolution = ? AND t >= ?').get(from, start ?? 0) as { t: number | null };
    if (first.t === null) {
      if (start === null || start < target) this.setState(key, String(start === null ? target : Math.max(start, target)));
      return 0;
    }
    start = Math.max(start ?? 0, bucketStart(first.t, to));
    const end = Math.min(target, start + ROLLUP_BATCH[to] * stepMs);
    if (end <= start) return 0;
    const rows = this.db
      .prepare('SELECT instance_id, replica_id, name, t, value, samples FROM points WHERE resolution = ? AND t >= ? AND t < ?')
      .all(from, start, end) as Row[];
    const groups = new Map<string, { row: Row; t: number; points: WeightedValue[] }>();
    for (const row of rows) {
      const t = bucketStart(row.t, to);
      const k = `${row.instance_id}\u0000${row.replica_id}\u0000${row.name}\u0000${t}`;
      const group = groups.get(k) ?? { row, t, points: [] };
      group.points.push({ value: row.value, samples: row.samples });
      groups.set(k, group);
    }
    const insert = this.db.prepare(
      `INSERT INTO points (instance_id, replica_id, name, resolution, t, value, samples) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (instance_id, replica_id, name, resolution, t) DO UPDATE SET value = excluded.value, samples = excluded.samples`,
    );
    this.db.transaction(() => {
      for (const g of groups.values()) {
        const c = combine(g.row.name, g.points)!;
        insert.run(g.row.instance_id, g.row.replica_id, g.row.name, to, g.t, c.value, c.samples);
      }
      this.setState(key, String(end));
    })();
    return groups.size;
  }

  /** Deletes points past their resolution's retention, at most `batch` rows per resolution per call. */
  cleanup(now = this.now(), batch = CLEANUP_BATCH): number {
    let deleted = 0;
    const stmt = this.db.prepare('DELETE FROM points WHERE rowid IN (SELECT rowid FROM points WHERE resolution = ? AND t < ? LIMIT ?)');
    for (const resolution of RESOLUTIONS) deleted += stmt.run(resolution, now - this.retention[resolution], batch).changes;
    return deleted;
  }

  // ---- reading ----

  /**
   * The resolution for a window from `since`: the finest one still kept for that age, unless the
   * window would hold more than MAX_POINTS of it (then the next coarser one).
   */
  resolutionFor(since: number, now = this.now()): Resolution {
    const age = now - since;
    for (const resolution of RESOLUTIONS) if (age <= this.retention[resolution] && age / (resolution * 1000) <= MAX_POINTS) return resolution;
    return 3600;
  }

  /**
   * Points of one series over [since, until] at the resolution its age needs; the most recent
   * part, not rolled up yet, comes from the finer resolutions (each point says its resolution).
   */
  points(instanceId: string, name: MetricName, since: number, until = this.now(), replicaId = ''): StoredPoint[] {
    const chosen = this.resolutionFor(since, this.now());
    const stmt = this.db.prepare(
      'SELECT t, value, samples FROM points WHERE instance_id = ? AND replica_id = ? AND name = ? AND resolution = ? AND t >= ? AND t <= ? ORDER BY t',
    );
    const out: StoredPoint[] = [];
    let from = bucketStart(since, chosen);
    for (const resolution of [...RESOLUTIONS].filter((r) => r <= chosen).reverse()) {
      const rows = stmt.all(instanceId, replicaId, name, resolution, from, until) as Array<{ t: number; value: number; samples: number }>;
      for (const r of rows) out.push({ t: r.t, value: r.value, samples: r.samples, resolution });
      const last = rows.at(-1);
      if (last) from = last.t + resolution * 1000;
    }
    return out;
  }

  series(instanceId: string, name: MetricName, since: number, until?: number): MetricPoint[] {
    return this.points(instanceId, name, since, until).map(({ t, value }) => ({ t, value }));
  }

  average(instanceId: string, name: MetricName, windowMs: number): number | null {
    const points = this.points(instanceId, name, this.now() - windowMs);
    if (points.length === 0) return null;
    // Weighted like a rollup, but a mean even for p95/p99: "the average p95 over 5 minutes".
    const samples = points.reduce((s, p) => s + p.samples, 0);
    if (samples <= 0) return points.reduce((s, p) => s + p.value, 0) / points.length;
    return points.reduce((s, p) => s + p.value * p.samples, 0) / samples;
  }
}
