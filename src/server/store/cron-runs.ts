import type { Db } from './database.js';
import { newId, now } from './ids.js';

export type CronRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED' | 'SKIPPED' | 'MISSED';
export type CronRunReason = 'schedule' | 'missed' | 'manual';

export interface CronRun {
  id: string;
  instanceId: string;
  deploymentId: string | null;
  scheduledAt: string;
  reason: CronRunReason;
  status: CronRunStatus;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  exitCode: number | null;
  detail: string | null;
  logFile: string | null;
}

interface Row {
  id: string; instance_id: string; deployment_id: string | null; scheduled_at: string; reason: string; status: string;
  started_at: string | null; ended_at: string | null; exit_code: number | null; detail: string | null; log_file: string | null;
}

const toRun = (r: Row): CronRun => ({
  id: r.id, instanceId: r.instance_id, deploymentId: r.deployment_id, scheduledAt: r.scheduled_at, reason: r.reason as CronRunReason,
  status: r.status as CronRunStatus, startedAt: r.started_at, endedAt: r.ended_at,
  durationMs: r.started_at && r.ended_at ? Date.parse(r.ended_at) - Date.parse(r.started_at) : null,
  exitCode: r.exit_code, detail: r.detail, logFile: r.log_file,
});

/** Every cron run, skip and miss, as a record: scheduled time, start, end, exit code, status. */
export class CronRunRepository {
  constructor(private readonly db: Db) {}

  newId(): string {
    return newId('run');
  }

  start(input: { id: string; instanceId: string; deploymentId: string | null; scheduledAt: Date; reason: CronRunReason; logFile: string }): CronRun {
    this.db.prepare(`INSERT INTO cron_runs (id, instance_id, deployment_id, scheduled_at, reason, status, started_at, log_file)
      VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, ?)`).run(input.id, input.instanceId, input.deploymentId, input.scheduledAt.toISOString(), input.reason, now(), input.logFile);
    return this.get(input.id);
  }

  finish(id: string, status: CronRunStatus, exitCode: number | null, detail: string | null): CronRun {
    this.db.prepare('UPDATE cron_runs SET status = ?, exit_code = ?, detail = ?, ended_at = ? WHERE id = ? AND status = ?').run(status, exitCode, detail, now(), id, 'RUNNING');
    return this.get(id);
  }

  record(instanceId: string, scheduledAt: Date, status: 'SKIPPED' | 'MISSED', detail: string): CronRun {
    const id = newId('run');
    this.db.prepare(`INSERT INTO cron_runs (id, instance_id, scheduled_at, reason, status, detail) VALUES (?, ?, ?, 'schedule', ?, ?)`)
      .run(id, instanceId, scheduledAt.toISOString(), status, detail);
    return this.get(id);
  }

  get(id: string): CronRun {
    return toRun(this.db.prepare('SELECT * FROM cron_runs WHERE id = ?').get(id) as Row);
  }

  find(id: string): CronRun | null {
    const row = this.db.prepare('SELECT * FROM cron_runs WHERE id = ?').get(id) as Row | undefined;
    return row ? toRun(row) : null;
  }

  history(instanceId: string, limit = 50): CronRun[] {
    return (this.db.prepare('SELECT * FROM cron_runs WHERE instance_id = ? ORDER BY scheduled_at DESC, rowid DESC LIMIT ?').all(instanceId, limit) as Row[]).map(toRun);
  }

  running(instanceId?: string): CronRun[] {
    const rows = instanceId
      ? this.db.prepare("SELECT * FROM cron_runs WHERE instance_id = ? AND status = 'RUNNING'").all(instanceId)
      : this.db.prepare("SELECT * FROM cron_runs WHERE status = 'RUNNING'").all();
    return (rows as Row[]).map(toRun);
  }

  /** The newest scheduled time already accounted for (run, skipped or missed) — manual runs don't count. */
  lastScheduledAt(instanceId: string): Date | null {
    const row = this.db.prepare("SELECT MAX(scheduled_at) AS at FROM cron_runs WHERE instance_id = ? AND reason != 'manual'").get(instanceId) as { at: string | null };
    return row.at ? new Date(row.at) : null;
  }
}
