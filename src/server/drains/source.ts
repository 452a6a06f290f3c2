import type { IndexedLine, LogIndexer } from '../logstore/indexer.js';

// A drain reads its lines from the log index (logs.db) after its cursor: the index is the
// queue, on disk, so a drain that is down or slow holds nothing in memory and never slows the
// apps or the index, and a restart loses nothing. Only the backlog is bounded.

export interface DrainScope {
  projectId: string;
  environmentId: string | null;
  serviceId: string | null;
}

const COLUMNS = 'id, t, project, environment, service, instance, deployment, replica, source, stream, level, message, fields';

function scopeSql(scope: DrainScope): { where: string; params: unknown[] } {
  const where = ['project = ?'];
  const params: unknown[] = [scope.projectId];
  if (scope.environmentId) (where.push('environment = ?'), params.push(scope.environmentId));
  if (scope.serviceId) (where.push('service = ?'), params.push(scope.serviceId));
  return { where: where.join(' AND '), params };
}

export class DrainSource {
  constructor(private readonly index: LogIndexer) {}

  get open(): boolean {
    return this.index.db.open;
  }

  /** The id of the newest line in the index. */
  lastId(): number {
    return this.index.lastId();
  }

  /** The drain's next lines, oldest first. */
  after(scope: DrainScope, cursor: number, limit: number): IndexedLine[] {
    const { where, params } = scopeSql(scope);
    return this.index.db.prepare(`SELECT ${COLUMNS} FROM lines WHERE ${where} AND id > ? ORDER BY id LIMIT ?`).all(...params, cursor, limit) as IndexedLine[];
  }

  /**
   * When more than `max` of the drain's lines wait after its cursor: the id to skip to so that
   * only the newest `max` remain, and how many lines that skips. Null when within bounds.
   */
  overflow(scope: DrainScope, cursor: number, max: number): { skipTo: number; lines: number } | null {
    if (this.lastId() - cursor <= max) return null; // cannot be more lines than ids
    const { where, params } = scopeSql(scope);
    const skipTo = this.index.db.prepare(`SELECT id FROM lines WHERE ${where} AND id > ? ORDER BY id DESC LIMIT 1 OFFSET ?`).pluck().get(...params, cursor, max) as number | undefined;
    if (skipTo === undefined) return null;
    const lines = this.index.db.prepare(`SELECT count(*) FROM lines WHERE ${where} AND id > ? AND id <= ?`).pluck().get(...params, cursor, skipTo) as number;
    return { skipTo, lines };
  }

  onLines(listener: () => void): () => void {
    return this.index.onLines(listener);
  }
}
