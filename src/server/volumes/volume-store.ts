import type { Db } from '../store/database.js';
import { now } from '../store/ids.js';
import { volumeName } from './names.js';

// The volumes table (migration 11): which volumes each service instance has had. Rows are
// added the first time an instance is placed with a volume and never removed by a deploy or
// a rollback; a volume taken out of the settings stays (with its data) until the instance goes.

export interface VolumeRecord {
  /** Wharf's name, `<instanceId>-<volume>`. */
  name: string;
  instanceId: string;
  /** The name in the service's settings, e.g. `data`. */
  volume: string;
  mountPath: string;
  sizeGB: number | null;
  createdAt: string;
}

interface Row { name: string; instance_id: string; volume: string; mount_path: string; size_gb: number | null; created_at: string }

const toRecord = (r: Row): VolumeRecord => ({ name: r.name, instanceId: r.instance_id, volume: r.volume, mountPath: r.mount_path, sizeGB: r.size_gb, createdAt: r.created_at });

export class VolumeRepository {
  constructor(private readonly db: Db) {}

  /** Records the instance's volumes (a new mount path or size is updated); returns them as stored. */
  ensure(instanceId: string, volumes: ReadonlyArray<{ name: string; mountPath: string; sizeGB?: number }>): VolumeRecord[] {
    const upsert = this.db.prepare(
      `INSERT INTO volumes (name, instance_id, volume, mount_path, size_gb, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET mount_path = excluded.mount_path, size_gb = excluded.size_gb
       WHERE mount_path IS NOT excluded.mount_path OR size_gb IS NOT excluded.size_gb`,
    );
    return this.db.transaction(() => {
      for (const v of volumes) upsert.run(volumeName(instanceId, v.name), instanceId, v.name, v.mountPath, v.sizeGB ?? null, now());
      const wanted = new Set(volumes.map((v) => v.name));
      return this.forInstance(instanceId).filter((r) => wanted.has(r.volume));
    })();
  }

  forInstance(instanceId: string): VolumeRecord[] {
    return (this.db.prepare('SELECT * FROM volumes WHERE instance_id = ? ORDER BY volume').all(instanceId) as Row[]).map(toRecord);
  }

  forEnvironment(environmentId: string): VolumeRecord[] {
    const rows = this.db
      .prepare('SELECT v.* FROM volumes v JOIN service_instances i ON i.id = v.instance_id WHERE i.environment_id = ? ORDER BY v.name')
      .all(environmentId) as Row[];
    return rows.map(toRecord);
  }

  find(name: string): VolumeRecord | null {
    const row = this.db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM volumes WHERE name = ?').run(name);
  }
}
