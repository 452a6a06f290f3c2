import type { DatabaseStatsSource } from '../metrics/database-stats.js';
import type { DatabaseManager } from './manager.js';

/** The ready databases whose engine reports connections and size, for the metrics collector. */
export function databaseStatsSources(manager: DatabaseManager): () => DatabaseStatsSource[] {
  return () =>
    manager.ctx.store.databases.all().flatMap((record) => {
      const provider = manager.providers[record.engine];
      if (record.status !== 'READY' || !provider?.stats) return [];
      const spec = manager.spec(record);
      return [{ databaseId: record.id, instanceId: record.instanceId, stats: (timeoutMs: number) => provider.stats!(spec, timeoutMs) }];
    });
}
