import type { ArtifactRecord } from '../../core/model.js';
import type { Db } from './database.js';
import { newId, now } from './ids.js';

interface ArtifactRow { id: string; instance_id: string; release_dir: string; builder: string; start: string; created_at: string; removed_at: string | null }
const toArtifact = (r: ArtifactRow): ArtifactRecord => ({
  id: r.id, instanceId: r.instance_id, releaseDir: r.release_dir, builder: r.builder,
  start: JSON.parse(r.start) as ArtifactRecord['start'], createdAt: r.created_at, removedAt: r.removed_at,
});

/** Built releases, kept (the last N per instance) so that rollback never rebuilds. */
export class ArtifactRepository {
  constructor(private readonly db: Db) {}

  newId(): string {
    return newId('art');
  }

  add(input: Omit<ArtifactRecord, 'createdAt' | 'removedAt'>): ArtifactRecord {
    const record: ArtifactRecord = { ...input, createdAt: now(), removedAt: null };
    this.db.prepare('INSERT INTO artifacts (id, instance_id, release_dir, builder, start, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(record.id, record.instanceId, record.releaseDir, record.builder, JSON.stringify(record.start), record.createdAt);
    return record;
  }

  find(id: string): ArtifactRecord | null {
    const row = this.db.prepare('SELECT * FROM artifacts WHERE id = ?').get(id) as ArtifactRow | undefined;
    return row ? toArtifact(row) : null;
  }

  /** Kept artifacts of an instance, newest first. */
  kept(instanceId: string): ArtifactRecord[] {
    return (this.db.prepare('SELECT * FROM artifacts WHERE instance_id = ? AND removed_at IS NULL ORDER BY created_at DESC, rowid DESC').all(instanceId) as ArtifactRow[]).map(toArtifact);
  }

  markRemoved(id: string): void {
    this.db.prepare('UPDATE artifacts SET removed_at = ? WHERE id = ?').run(now(), id);
  }
}
