import type { RemoteCopyStatus, RemoteCopyView } from '../../core/backup-remote.js';
import type { DatabaseEngine } from '../../core/database.js';
import type { Db } from './database.js';
import { newId, now } from './ids.js';
import type { SecretBox } from '../../shared/secrets/secret-box.js';

export type DatabaseStatus = 'PROVISIONING' | 'READY' | 'FAILED';

export interface DatabaseRecord {
  id: string;
  instanceId: string;
  engine: DatabaseEngine;
  port: number;
  dataDir: string;
  credentials: Record<string, string>;
  status: DatabaseStatus;
  detail: string | null;
  backupSchedule: string | null;
  backupKeep: number;
  backupMaxAgeDays: number;
  verifySchedule: string | null;
  createdAt: string;
}

export type BackupKind = 'manual' | 'scheduled' | 'pre-deploy' | 'safety' | 'final' | 'base';

export interface BackupRecord {
  id: string;
  databaseId: string;
  engine: DatabaseEngine;
  databaseName: string;
  projectId: string;
  environmentId: string;
  kind: BackupKind;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  path: string | null;
  bytes: number | null;
  durationMs: number | null;
  sha256: string | null;
  format: string | null;
  error: string | null;
  verifiedAt: string | null;
  verifyStatus: 'PASSED' | 'FAILED' | null;
  verifyResult: Record<string, number> | null;
  createdAt: string;
  finishedAt: string | null;
  /** The off-site copy; null when no bucket was configured when the backup finished. */
  remote: RemoteCopy | null;
}

/** The API's view of a copy, and the endpoint it went to (to find it again after a bucket change). */
export interface RemoteCopy extends RemoteCopyView {
  endpoint: string | null;
}

interface DbRow {
  id: string; instance_id: string; engine: string; port: number; data_dir: string; credentials: string; status: string;
  detail: string | null; backup_schedule: string | null; backup_keep: number; backup_max_age_days: number; verify_schedule: string | null; created_at: string;
}
interface BackupRow {
  id: string; database_id: string; engine: string; database_name: string; project_id: string; environment_id: string; kind: string; status: string;
  path: string | null; bytes: number | null; duration_ms: number | null; sha256: string | null; format: string | null; error: string | null;
  verified_at: string | null; verify_status: string | null; verify_result: string | null; created_at: string; finished_at: string | null;
  remote_status: string | null; remote_endpoint: string | null; remote_bucket: string | null; remote_key: string | null; remote_error: string | null;
  remote_attempts: number; remote_next_at: string | null; remote_uploaded_at: string | null;
}

const toBackup = (r: BackupRow): BackupRecord => ({
  id: r.id, databaseId: r.database_id, engine: r.engine as DatabaseEngine, databaseName: r.database_name, projectId: r.project_id,
  environmentId: r.environment_id, kind: r.kind as BackupKind, status: r.status as BackupRecord['status'], path: r.path, bytes: r.bytes,
  durationMs: r.duration_ms, sha256: r.sha256, format: r.format, error: r.error, verifiedAt: r.verified_at,
  verifyStatus: r.verify_status as BackupRecord['verifyStatus'], verifyResult: r.verify_result ? (JSON.parse(r.verify_result) as Record<string, number>) : null,
  createdAt: r.created_at, finishedAt: r.finished_at,
  remote: r.remote_status
    ? { status: r.remote_status as RemoteCopyStatus, endpoint: r.remote_endpoint, bucket: r.remote_bucket, key: r.remote_key, error: r.remote_error,
        attempts: r.remote_attempts, nextAttemptAt: r.remote_next_at, uploadedAt: r.remote_uploaded_at }
    : null,
});

/** Managed database servers (credentials encrypted at rest) and their backups. */
export class DatabaseRepository {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  private toRecord(r: DbRow): DatabaseRecord {
    return {
      id: r.id, instanceId: r.instance_id, engine: r.engine as DatabaseEngine, port: r.port, dataDir: r.data_dir,
      credentials: JSON.parse(this.box.decrypt(r.credentials)) as Record<string, string>, status: r.status as DatabaseStatus, detail: r.detail,
      backupSchedule: r.backup_schedule, backupKeep: r.backup_keep, backupMaxAgeDays: r.backup_max_age_days, verifySchedule: r.verify_schedule, createdAt: r.created_at,
    };
  }

  newId(): string {
    return newId('db');
  }

  create(input: Pick<DatabaseRecord, 'id' | 'instanceId' | 'engine' | 'port' | 'dataDir' | 'credentials'> & { backupSchedule: string | null; verifySchedule: string | null }): DatabaseRecord {
    this.db.prepare(`INSERT INTO databases (id, instance_id, engine, port, data_dir, credentials, status, backup_schedule, verify_schedule, created_at)
      VALUES (?, ?, ?, ?, ?, ?, 'PROVISIONING', ?, ?, ?)`).run(input.id, input.instanceId, input.engine, input.port, input.dataDir,
      this.box.encrypt(JSON.stringify(input.credentials)), input.backupSchedule, input.verifySchedule, now());
    return this.get(input.id);
  }

  get(id: string): DatabaseRecord {
    return this.toRecord(this.db.prepare('SELECT * FROM databases WHERE id = ?').get(id) as DbRow);
  }

  forInstance(instanceId: string): DatabaseRecord | null {
    const row = this.db.prepare('SELECT * FROM databases WHERE instance_id = ?').get(instanceId) as DbRow | undefined;
    return row ? this.toRecord(row) : null;
  }

  all(): DatabaseRecord[] {
    return (this.db.prepare('SELECT * FROM databases ORDER BY created_at').all() as DbRow[]).map((r) => this.toRecord(r));
  }

  usedPorts(): Set<number> {
    return new Set((this.db.prepare('SELECT port FROM databases').all() as Array<{ port: number }>).map((r) => r.port));
  }

  setStatus(id: string, status: DatabaseStatus, detail: string | null = null): void {
    this.db.prepare('UPDATE databases SET status = ?, detail = ? WHERE id = ?').run(status, detail, id);
  }

  setSchedule(id: string, change: { backupSchedule?: string | null; backupKeep?: number; backupMaxAgeDays?: number; verifySchedule?: string | null }): void {
    const current = this.get(id);
    this.db.prepare('UPDATE databases SET backup_schedule = ?, backup_keep = ?, backup_max_age_days = ?, verify_schedule = ? WHERE id = ?').run(
      change.backupSchedule !== undefined ? change.backupSchedule : current.backupSchedule,
      change.backupKeep ?? current.backupKeep,
      change.backupMaxAgeDays ?? current.backupMaxAgeDays,
      change.verifySchedule !== undefined ? change.verifySchedule : current.verifySchedule,
      id,
    );
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM databases WHERE id = ?').run(id);
  }

  // --- backups

  startBackup(input: Pick<BackupRecord, 'databaseId' | 'engine' | 'databaseName' | 'projectId' | 'environmentId' | 'kind'>): BackupRecord {
    const id = newId('bak');
    this.db.prepare(`INSERT INTO backups (id, database_id, engine, database_name, project_id, environment_id, kind, status, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'RUNNING', ?)`).run(id, input.databaseId, input.engine, input.databaseName, input.projectId, input.environmentId, input.kind, now());
    return this.getBackup(id);
  }

  finishBackup(id: string, result: { path: string; bytes: number; durationMs: number; sha256: string; format: string } | { error: string }): BackupRecord {
    if ('error' in result) {
      this.db.prepare("UPDATE backups SET status = 'FAILED', error = ?, finished_at = ? WHERE id = ?").run(result.error, now(), id);
    } else {
      this.db.prepare("UPDATE backups SET status = 'SUCCEEDED', path = ?, bytes = ?, duration_ms = ?, sha256 = ?, format = ?, finished_at = ? WHERE id = ?")
        .run(result.path, result.bytes, result.durationMs, result.sha256, result.format, now(), id);
    }
    return this.getBackup(id);
  }

  recordVerification(id: string, status: 'PASSED' | 'FAILED', result: Record<string, number> | null): void {
    this.db.prepare('UPDATE backups SET verified_at = ?, verify_status = ?, verify_result = ? WHERE id = ?').run(now(), status, result ? JSON.stringify(result) : null, id);
  }

  getBackup(id: string): BackupRecord {
    return toBackup(this.db.prepare('SELECT * FROM backups WHERE id = ?').get(id) as BackupRow);
  }

  findBackup(id: string): BackupRecord | null {
    const row = this.db.prepare('SELECT * FROM backups WHERE id = ?').get(id) as BackupRow | undefined;
    return row ? toBackup(row) : null;
  }

  backups(databaseId: string): BackupRecord[] {
    return (this.db.prepare('SELECT * FROM backups WHERE database_id = ? ORDER BY created_at DESC, rowid DESC').all(databaseId) as BackupRow[]).map(toBackup);
  }

  /** Backups of every database that had this name in this environment, deleted ones included. */
  backupsByName(projectId: string, environmentId: string, name: string): BackupRecord[] {
    return (this.db.prepare('SELECT * FROM backups WHERE project_id = ? AND environment_id = ? AND database_name = ? ORDER BY created_at DESC, rowid DESC').all(projectId, environmentId, name) as BackupRow[]).map(toBackup);
  }

  // --- off-site copies

  /** Queues the copy of a finished backup: due at once. */
  queueUpload(id: string): void {
    this.db.prepare("UPDATE backups SET remote_status = 'pending', remote_error = NULL, remote_attempts = 0, remote_next_at = ? WHERE id = ?").run(now(), id);
  }

  uploaded(id: string, where: { endpoint: string; bucket: string; key: string }): void {
    this.db.prepare("UPDATE backups SET remote_status = 'uploaded', remote_endpoint = ?, remote_bucket = ?, remote_key = ?, remote_error = NULL, remote_attempts = remote_attempts + 1, remote_next_at = NULL, remote_uploaded_at = ? WHERE id = ?")
      .run(where.endpoint, where.bucket, where.key, now(), id);
  }

  /** A failed attempt; `nextAt` null when Wharf gives up (a retry by hand starts again). */
  uploadFailed(id: string, error: string, nextAt: string | null): void {
    this.db.prepare("UPDATE backups SET remote_status = 'failed', remote_error = ?, remote_attempts = remote_attempts + 1, remote_next_at = ? WHERE id = ?").run(error, nextAt, id);
  }

  /** Copies due now (pending or failed with a next attempt at or before `at`), oldest first. */
  uploadsDue(at: string): BackupRecord[] {
    return (this.db.prepare("SELECT * FROM backups WHERE remote_status IN ('pending', 'failed') AND remote_next_at IS NOT NULL AND remote_next_at <= ? AND status = 'SUCCEEDED' ORDER BY remote_next_at, rowid").all(at) as BackupRow[]).map(toBackup);
  }

  /** When the next copy is due, if any. */
  nextUploadAt(): string | null {
    const row = this.db.prepare("SELECT min(remote_next_at) AS at FROM backups WHERE remote_status IN ('pending', 'failed') AND remote_next_at IS NOT NULL AND status = 'SUCCEEDED'").get() as { at: string | null };
    return row.at;
  }

  deleteBackup(id: string): void {
    this.db.prepare('DELETE FROM backups WHERE id = ?').run(id);
  }
}
