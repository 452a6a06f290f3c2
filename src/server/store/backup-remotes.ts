import { maskKeyId } from '../../core/backup-remote.js';
import type { Db } from './database.js';
import { now } from './ids.js';
import type { SecretBox } from '../../shared/secrets/secret-box.js';

/** An S3-compatible bucket that backups are copied to; `keys` are decrypted only here. */
export interface BackupRemote {
  projectId: string;
  /** The database (service name) it is for; null for every database of the project. */
  databaseName: string | null;
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  pathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  accessKeyHint: string;
  updatedAt: string;
}

interface Row {
  project_id: string; database_name: string; endpoint: string; region: string; bucket: string; prefix: string;
  path_style: number; keys: string; access_key_hint: string; updated_at: string;
}

/** Off-site targets per project (and per database name); both keys encrypted at rest. */
export class BackupRemoteRepository {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  private toRemote(r: Row): BackupRemote {
    const keys = JSON.parse(this.box.decrypt(r.keys)) as { accessKeyId: string; secretAccessKey: string };
    return {
      projectId: r.project_id, databaseName: r.database_name === '' ? null : r.database_name, endpoint: r.endpoint, region: r.region,
      bucket: r.bucket, prefix: r.prefix, pathStyle: r.path_style === 1, accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey,
      accessKeyHint: r.access_key_hint, updatedAt: r.updated_at,
    };
  }

  set(input: Omit<BackupRemote, 'accessKeyHint' | 'updatedAt'>): BackupRemote {
    const keys = this.box.encrypt(JSON.stringify({ accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey }));
    this.db.prepare(`INSERT INTO backup_remotes (project_id, database_name, endpoint, region, bucket, prefix, path_style, keys, access_key_hint, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (project_id, database_name) DO UPDATE SET endpoint = excluded.endpoint, region = excluded.region, bucket = excluded.bucket,
        prefix = excluded.prefix, path_style = excluded.path_style, keys = excluded.keys, access_key_hint = excluded.access_key_hint, updated_at = excluded.updated_at`)
      .run(input.projectId, input.databaseName ?? '', input.endpoint, input.region, input.bucket, input.prefix, input.pathStyle ? 1 : 0, keys, maskKeyId(input.accessKeyId), now());
    return this.get(input.projectId, input.databaseName)!;
  }

  get(projectId: string, databaseName: string | null): BackupRemote | null {
    const row = this.db.prepare('SELECT * FROM backup_remotes WHERE project_id = ? AND database_name = ?').get(projectId, databaseName ?? '') as Row | undefined;
    return row ? this.toRemote(row) : null;
  }

  /** The database's own target, else the project's. */
  effective(projectId: string, databaseName: string): BackupRemote | null {
    return this.get(projectId, databaseName) ?? this.get(projectId, null);
  }

  list(projectId: string): BackupRemote[] {
    return (this.db.prepare('SELECT * FROM backup_remotes WHERE project_id = ? ORDER BY database_name').all(projectId) as Row[]).map((r) => this.toRemote(r));
  }

  delete(projectId: string, databaseName: string | null): boolean {
    return this.db.prepare('DELETE FROM backup_remotes WHERE project_id = ? AND database_name = ?').run(projectId, databaseName ?? '').changes > 0;
  }
}
