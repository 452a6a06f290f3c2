import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { WharfError } from '../../../core/errors.js';
import type { Logger } from '../../deploy/context.js';
import type { BackupRemote } from '../../store/backup-remotes.js';
import type { BackupRecord } from '../../store/databases.js';
import type { Store } from '../../store/store.js';
import { S3Bucket } from './s3-bucket.js';

export interface OffsiteOptions {
  /** The first retry after a failed upload; each next one waits twice as long (capped at an hour). */
  retryBaseMs: number;
  /** Attempts before Wharf gives up on a copy (`wharf db backups upload BACKUP` starts again). */
  maxAttempts: number;
}

export const DEFAULT_OFFSITE_OPTIONS: OffsiteOptions = { retryBaseMs: 30_000, maxAttempts: 10 };

/** WHARF_BACKUP_UPLOAD_RETRY_MS sets the first retry's delay (tests make it short). */
export function offsiteOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): OffsiteOptions {
  const base = Number(env.WHARF_BACKUP_UPLOAD_RETRY_MS);
  return { ...DEFAULT_OFFSITE_OPTIONS, ...(Number.isFinite(base) && base > 0 ? { retryBaseMs: base } : {}) };
}

/** The wait before attempt `attempts + 1`. */
export function retryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

/** `<prefix>/<project>/<environment>/<database>/<file>`: readable in any bucket browser. */
export function objectKey(prefix: string, parts: { project: string; environment: string; database: string; file: string }): string {
  return [prefix, parts.project, parts.environment, parts.database, parts.file].filter((p) => p !== '').join('/');
}

/**
 * Off-site copies of backups. A finished backup is queued (a row update) and copied in the
 * background, one at a time, so no backup waits for a bucket; a failed copy is retried with
 * backoff, and the queue lives in the store, so a restart resumes it. Restores fetch a copy
 * back when the local file is gone; retention deletes copies with their backups.
 */
export class OffsiteCopies {
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private abort = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly options: OffsiteOptions = DEFAULT_OFFSITE_OPTIONS,
  ) {}

  start(): void {
    this.stopped = false;
    this.abort = new AbortController();
    this.kick(0);
  }

  /** Stops the queue; an upload under way is interrupted and stays pending for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
    await this.draining;
  }

  /** The target a backup's copies go to, if any. */
  remoteFor(backup: Pick<BackupRecord, 'projectId' | 'databaseName'>): BackupRemote | null {
    return this.store.backupRemotes.effective(backup.projectId, backup.databaseName);
  }

  /** After a backup finished: queue its copy when a bucket is configured. Never waits for it. */
  queue(backup: BackupRecord): void {
    if (backup.status !== 'SUCCEEDED' || backup.kind === 'base' || !backup.path) return;
    if (!this.remoteFor(backup)) return;
    this.store.databases.queueUpload(backup.id);
    this.kick(0);
  }

  /** Copy (again) now: after a failure, or a backup taken before the bucket was configured. */
  retryNow(backup: BackupRecord): BackupRecord {
    if (backup.kind === 'base') throw new WharfError('BAD_REQUEST', `${backup.id} is a base backup: base backups and the WAL archive stay on this machine`);
    if (backup.status !== 'SUCCEEDED' || !backup.path) throw new WharfError('CONFLICT', `backup ${backup.id} is ${backup.status.toLowerCase()}: nothing to copy`);
    if (backup.remote?.status === 'uploaded') throw new WharfError('CONFLICT', `backup ${backup.id} is already in ${backup.remote.bucket}`, { hint: 'See `wharf db list-backups`.' });
    if (!existsSync(backup.path)) throw new WharfError('CONFLICT', `the file of backup ${backup.id} is gone from this machine: nothing to copy`);
    if (!this.remoteFor(backup)) throw noRemote();
    this.store.databases.queueUpload(backup.id);
    this.kick(0);
    return this.store.databases.getBackup(backup.id);
  }

  /**
   * The backup's file on this machine: where it is, or fetched back from the bucket (its
   * SHA-256 checked) when the local copy is gone.
   */
  async localFile(backup: BackupRecord): Promise<string> {
    const file = backup.path!;
    if (existsSync(file)) return file;
    const copy = backup.remote;
    if (copy?.status !== 'uploaded' || !copy.key) {
      throw new WharfError('NOT_FOUND', `the file of backup ${backup.id} is gone from this machine and it has no off-site copy`, { hint: 'Pick another backup from `wharf db list-backups`.' });
    }
    const remote = this.remoteFor(backup);
    if (!remote || remote.endpoint !== copy.endpoint || remote.bucket !== copy.bucket) {
      throw new WharfError('CONFLICT', `the file of backup ${backup.id} is gone from this machine; its copy is in bucket ${copy.bucket} at ${copy.endpoint}, which is no longer configured`, {
        hint: 'Configure that bucket again with `wharf db backups remote set`, or pick another backup.',
      });
    }
    const bucket = new S3Bucket(remote);
    try {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await bucket.download(copy.key, file, backup.sha256);
      this.logger.info({ backupId: backup.id, key: copy.key }, 'backup fetched from its off-site copy');
      return file;
    } catch (error) {
      throw new WharfError('RUNTIME_ERROR', `the file of backup ${backup.id} is gone and fetching ${bucket.where(copy.key)} failed: ${bucket.describe(error)}`, { hint: 'Check the bucket with `wharf db backups remote show`.' });
    } finally {
      bucket.close();
    }
  }

  /** Retention: deletes the backup's copy (when it is in the bucket still configured). Failures are logged, not thrown. */
  async removeCopy(backup: BackupRecord): Promise<void> {
    const copy = backup.remote;
    if (copy?.status !== 'uploaded' || !copy.key) return;
    const remote = this.remoteFor(backup);
    if (!remote || remote.endpoint !== copy.endpoint || remote.bucket !== copy.bucket) {
      this.logger.warn({ backupId: backup.id, bucket: copy.bucket, key: copy.key }, 'the off-site copy of a pruned backup is in a bucket no longer configured; left there');
      return;
    }
    const bucket = new S3Bucket(remote);
    try {
      await bucket.delete(copy.key);
    } catch (error) {
      this.logger.warn({ backupId: backup.id, key: copy.key, error: bucket.describe(error) }, 'could not delete the off-site copy of a pruned backup');
    } finally {
      bucket.close();
    }
  }

  /** Runs the queue after `delayMs` (at once if it is running: it looks again when done). */
  private kick(delayMs: number): void {
    if (this.stopped) return;
    if (this.draining) {
      if (delayMs === 0) this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.draining = this.drain().finally(() => {
        this.draining = null;
        this.next();
      });
    }, delayMs);
    this.timer.unref();
  }

  private next(): void {
    if (this.again) {
      this.again = false;
      return this.kick(0);
    }
    const at = this.store.databases.nextUploadAt();
    if (at) this.kick(Math.max(0, Math.min(Date.parse(at) - Date.now(), 3_600_000)));
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const due = this.store.databases.uploadsDue(new Date().toISOString());
      if (due.length === 0) return;
      for (const backup of due) {
        if (this.stopped) return;
        await this.attempt(backup).catch((error: unknown) => this.logger.error({ err: error, backupId: backup.id }, 'off-site copy crashed'));
      }
    }
  }

  private async attempt(backup: BackupRecord): Promise<void> {
    const remote = this.remoteFor(backup);
    if (!remote) {
      this.store.databases.uploadFailed(backup.id, 'no off-site bucket is configured any more', null);
      return;
    }
    const key = objectKey(remote.prefix, { ...this.names(backup), file: path.basename(backup.path!) });
    const bucket = new S3Bucket(remote);
    try {
      await bucket.upload(backup.path!, key, { bytes: backup.bytes ?? 0, sha256: backup.sha256 ?? '' }, this.abort.signal);
      if (!this.store.databases.findBackup(backup.id)) {
        // Pruned while it was uploading: the copy must not outlive it.
        await bucket.delete(key);
        return;
      }
      this.store.databases.uploaded(backup.id, { endpoint: remote.endpoint, bucket: remote.bucket, key });
      this.logger.info({ backupId: backup.id, key }, 'backup copied off-site');
    } catch (error) {
      if (this.stopped) return; // interrupted by stop(): still pending, resumed at the next start
      const attempts = (backup.remote?.attempts ?? 0) + 1;
      const nextAt = attempts >= this.options.maxAttempts ? null : new Date(Date.now() + retryDelayMs(attempts, this.options.retryBaseMs)).toISOString();
      const reason = `upload to ${bucket.where(key)} failed: ${bucket.describe(error)}`;
      this.store.databases.uploadFailed(backup.id, reason, nextAt);
      this.logger.warn({ backupId: backup.id, attempts, nextAt, error: reason }, 'off-site copy of a backup failed');
      if (attempts === 1 || nextAt === null) {
        const then = nextAt ? `; retrying from ${nextAt}` : `; gave up after ${attempts} attempts (retry with \`wharf db backups upload ${backup.id}\`)`;
        this.store.events.emit({ projectId: backup.projectId, environmentId: backup.environmentId, kind: 'backup.upload_failed', severity: nextAt ? 'warning' : 'error', message: `${backup.databaseName}: ${reason}${then}`, data: { backupId: backup.id } });
      }
    } finally {
      bucket.close();
    }
  }

  private names(backup: BackupRecord): { project: string; environment: string; database: string } {
    const project = this.store.projects.getProject(backup.projectId).name;
    let environment = backup.environmentId;
    try {
      environment = this.store.projects.getEnvironment(backup.environmentId).name;
    } catch {
      /* a deleted environment: its id */
    }
    return { project, environment, database: backup.databaseName };
  }
}

export function noRemote(): WharfError {
  return new WharfError('CONFLICT', 'no off-site bucket is configured for this database', {
    hint: 'Configure one with `wharf db backups remote set --endpoint URL --bucket NAME --region R --access-key-id ID --secret-access-key-stdin`.',
  });
}
