import type { DatabaseStats } from '../../core/database.js';
import type { Logger } from '../deploy/context.js';
import type { PointWrite } from './metrics-store.js';

// Connections and size of every running database, as its engine tells (db_connections,
// db_size_bytes). A sample runs a client tool (psql, redis-cli, mariadb, mongosh), so it never
// holds up the collector's tick: each database has at most one sample in flight, bounded by a
// timeout, and its points are written when it answers. A slow or down database only loses its
// own points.

export const DEFAULT_DB_STATS_TIMEOUT_MS = 5_000;
/** A sample still unanswered this long after its timeout is given up on (its points are dropped). */
const GIVE_UP_GRACE_MS = 1_000;

/** One database the collector can ask: the service instance its series belong to. */
export interface DatabaseStatsSource {
  /** The database's id, which is also its replica id. */
  databaseId: string;
  instanceId: string;
  stats(timeoutMs: number): Promise<DatabaseStats>;
}

export interface DatabaseSamplerOptions {
  sources: () => DatabaseStatsSource[];
  write: (points: PointWrite[]) => void;
  timeoutMs?: number;
  logger?: Logger;
  now?: () => number;
}

export class DatabaseSampler {
  private readonly inFlight = new Map<string, Promise<void>>();
  /** The last failure per database, so a database that stays down is logged once, not every tick. */
  private readonly failing = new Map<string, string>();
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: DatabaseSamplerOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_DB_STATS_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  /** Starts a sample of every database whose server runs (`live` replica ids) and has none in flight; returns at once. */
  start(live: ReadonlySet<string>): void {
    if (this.closed) return;
    for (const source of this.options.sources()) {
      if (!live.has(source.databaseId) || this.inFlight.has(source.databaseId)) continue;
      const p = this.sample(source).finally(() => this.inFlight.delete(source.databaseId));
      this.inFlight.set(source.databaseId, p);
    }
  }

  /** Resolves when no sample is in flight (each ends within its timeout). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** No more samples start, and answers still to come are dropped; then waits for those in flight. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  private async sample(source: DatabaseStatsSource): Promise<void> {
    const t = this.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const stats = await Promise.race([
        source.stats(this.timeoutMs),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs + GIVE_UP_GRACE_MS);
        }),
      ]);
      if (this.closed) return;
      this.options.write([
        { instanceId: source.instanceId, name: 'db_connections', t, value: stats.connections },
        { instanceId: source.instanceId, name: 'db_size_bytes', t, value: stats.sizeBytes },
      ]);
      if (this.failing.delete(source.databaseId)) this.options.logger?.info({ databaseId: source.databaseId }, 'metrics: database stats answer again');
    } catch (error) {
      const message = (error as Error).message;
      if (this.failing.get(source.databaseId) !== message) {
        this.failing.set(source.databaseId, message);
        this.options.logger?.warn({ err: error, databaseId: source.databaseId }, 'metrics: database stats failed');
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
