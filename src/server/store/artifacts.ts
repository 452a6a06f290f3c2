import type { ArtifactRef } from '../../core/artifact.js';
import type { ArtifactRecord } from '../../core/model.js';
import type { Db } from './database.js';
import { newId, now } from './ids.js';

interface ArtifactRow {
  id: string; instance_id: string; kind: string; release_dir: string; image: string | null; digest: string | null;
  builder: string; start: string; created_at: string; removed_at: string | null;
}
const toRef = (r: ArtifactRow): ArtifactRef =>
  r.kind === 'image' ? { kind: 'image', image: r.image ?? '', digest: r.digest ?? '' } : { kind: 'release', releaseDir: r.release_dir };
const toArtifact = (r: ArtifactRow): ArtifactRecord => ({
  id: r.id, instanceId: r.instance_id, ref: toRef(r), builder: r.builder,
  start: JSON.parse(r.start) as ArtifactRecord['start'], createdAt: r.created_at, removedAt: r.removed_at,
});

/** Built artifacts (release folders or images), kept (the last N per instance) so that rollback never rebuilds. */
export class ArtifactRepository {
  constructor(private readonly db: Db) {}

  newId(): string {
    return newId('art');
  }

  add(input: Omit<ArtifactRecord, 'createdAt' | 'removedAt'>): ArtifactRecord {
    const record: ArtifactRecord = { ...input, createdAt: now(), removedAt: null };
    const { ref } = record;
    this.db.prepare('INSERT INTO artifacts (id, instance_id, kind, release_dir, image, digest, builder, start, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(record.id, record.instanceId, ref.kind, ref.kind === 'release' ? ref.releaseDir : '', ref.kind === 'image' ? ref.image : null,
        ref.kind === 'image' ? ref.digest : null, record.builder, JSON.stringify(record.start), record.createdAt);
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

  /** Whether a kept artifact is an image (the docker driver is then needed at start). */
  anyLiveImage(): boolean {
    return this.db.prepare("SELECT 1 FROM artifacts WHERE kind = 'image' AND removed_at IS NULL LIMIT 1").get() !== undefined;
  }

  markRemoved(id: string): void {
    this.db.prepare('UPDATE artifacts SET removed_at = ? WHERE id = ?').run(now(), id);
  }
}
