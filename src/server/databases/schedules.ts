import type { CronBackend, CronJobDefinition, CronRunHandle } from '../scheduler/scheduler.js';
import type { BackupService } from './backups.js';
import type { DatabaseManager } from './manager.js';

type Task = 'backup' | 'verify' | 'base';

/** Base backups for point-in-time recovery: daily at 01:00 UTC. */
const BASE_BACKUP_SCHEDULE = '0 1 * * *';

/**
 * Database housekeeping on the cron scheduler: scheduled backups (with retention), weekly
 * restore verification of the latest backup, and daily base backups where the engine has
 * point-in-time recovery. Job ids are `<databaseId>:<task>`.
 */
export class DatabaseScheduleBackend implements CronBackend {
  private readonly active = new Map<string, string>();
  private counter = 0;

  constructor(
    private readonly manager: DatabaseManager,
    private readonly backups: BackupService,
  ) {}

  jobs(): CronJobDefinition[] {
    const jobs: CronJobDefinition[] = [];
    for (const record of this.manager.ctx.store.databases.all()) {
      if (record.status !== 'READY') continue;
      const job = (task: Task, schedule: string): CronJobDefinition => ({ jobId: `${record.id}:${task}`, schedule, concurrencyPolicy: 'forbid', timeoutSeconds: null, runMissed: true });
      if (record.backupSchedule) jobs.push(job('backup', record.backupSchedule));
      if (record.verifySchedule) jobs.push(job('verify', record.verifySchedule));
      if (this.manager.providers[record.engine]?.pitr) jobs.push(job('base', BASE_BACKUP_SCHEDULE));
    }
    return jobs;
  }

  lastScheduledAt(jobId: string): Date | null {
    const [id, task] = jobId.split(':') as [string, Task];
    const backups = this.manager.ctx.store.databases.backups(id);
    const at =
      task === 'verify'
        ? backups.find((b) => b.verifiedAt)?.verifiedAt
        : backups.find((b) => b.kind === (task === 'base' ? 'base' : 'scheduled'))?.createdAt;
    return at ? new Date(at) : null;
  }

  running(jobId: string): Array<{ runId: string }> {
    const runId = this.active.get(jobId);
    return runId ? [{ runId }] : [];
  }

  async start(jobId: string): Promise<CronRunHandle> {
    const [id, task] = jobId.split(':') as [string, Task];
    const runId = `${jobId}#${++this.counter}`;
    this.active.set(jobId, runId);
    const record = this.manager.ctx.store.databases.get(id);
    const work = async () => {
      if (task === 'backup') await this.backups.backup(record, 'scheduled');
      else if (task === 'base') await this.backups.baseBackup(record);
      else {
        const latest = this.manager.ctx.store.databases.backups(id).find((b) => b.status === 'SUCCEEDED' && b.kind !== 'base');
        if (latest) await this.backups.verify(latest);
      }
    };
    const done = work()
      .then(() => ({ exitCode: 0, timedOut: false }))
      .catch((error: unknown) => {
        this.manager.ctx.logger.error({ err: error, jobId }, 'database housekeeping failed');
        return { exitCode: 1, timedOut: false };
      })
      .finally(() => this.active.delete(jobId));
    return { runId, done };
  }

  async cancel(): Promise<void> {
    // Backups and verifications run to their end; nothing to cancel halfway.
  }

  recordSkipped(jobId: string, scheduledAt: Date, why: string): void {
    this.manager.ctx.logger.warn({ jobId, scheduledAt, why }, 'database housekeeping skipped');
  }

  recordMissed(jobId: string, scheduledAt: Date): void {
    this.manager.ctx.logger.warn({ jobId, scheduledAt }, 'database housekeeping missed while the control plane was down');
  }
}
