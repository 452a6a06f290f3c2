import type { AlertRule } from '../store/alerts.js';
import type { BackupRecord } from '../store/databases.js';
import type { Store } from '../store/store.js';
import { formatDuration, roughDuration } from './rules.js';

// Backup-age rules: for every database in the rule's scope, the newest successful backup must
// be younger than the threshold. None at all breaches too. Base backups (taken daily by
// themselves for point-in-time recovery) do not count: the rule watches the dumps that
// `wharf db backup`, schedules and deploys make, the ones `wharf db restore <id>` takes.

type BackupAgeCondition = Extract<AlertRule['condition'], { type: 'backup_age' }>;

/** The newest successful backup that counts, or null. */
export function newestBackup(backups: readonly BackupRecord[]): BackupRecord | null {
  let newest: BackupRecord | null = null;
  for (const b of backups) {
    if (b.status !== 'SUCCEEDED' || b.kind === 'base') continue;
    if (!newest || landedAt(b) > landedAt(newest)) newest = b;
  }
  return newest;
}

const landedAt = (b: BackupRecord) => Date.parse(b.finishedAt ?? b.createdAt);

export interface BackupAgeFinding {
  breaching: boolean;
  /** Age of the newest backup, ms; null when there is none. */
  ageMs: number | null;
  backupId: string | null;
}

export function backupAgeFinding(backups: readonly BackupRecord[], maxAgeMs: number, now: number): BackupAgeFinding {
  const newest = newestBackup(backups);
  if (!newest) return { breaching: true, ageMs: null, backupId: null };
  const ageMs = Math.max(0, now - landedAt(newest));
  return { breaching: ageMs > maxAgeMs, ageMs, backupId: newest.id };
}

/**
 * One pass of a backup-age rule over its databases (`instances`: the service instances in scope);
 * fires and resolves through `alert.fired` / `alert.resolved` events, state kept in alert_states.
 */
export function evaluateBackupAge(store: Store, rule: AlertRule, condition: BackupAgeCondition, instances: readonly string[], now: number): void {
  for (const instanceId of instances) {
    const record = store.databases.forInstance(instanceId);
    if (!record || record.status !== 'READY') continue;
    const finding = backupAgeFinding(store.databases.backups(record.id), condition.maxAgeMs, now);
    const prev = store.alerts.getState(rule.id, instanceId);
    const wasFiring = prev?.state === 'firing';
    const ageHours = finding.ageMs === null ? null : Math.round((finding.ageMs / 3_600_000) * 100) / 100;
    const transition = finding.breaching && !wasFiring ? 'fired' : !finding.breaching && wasFiring ? 'resolved' : null;
    store.db.transaction(() => {
      store.alerts.saveState({
        ruleId: rule.id,
        instanceId,
        state: finding.breaching ? 'firing' : 'ok',
        breachSince: null,
        firingSince: finding.breaching ? (wasFiring ? prev!.firingSince : now) : null,
        lastValue: ageHours,
      });
      if (!transition) return;
      const ctx = store.projects.describeInstance(instanceId);
      const who = `${ctx.service.name} (${ctx.environment.name})`;
      const limit = formatDuration(condition.maxAgeMs);
      const message =
        transition === 'fired'
          ? finding.ageMs === null
            ? `${who}: no successful backup yet; the newest must be under ${limit} old (alert ${rule.id})`
            : `${who}: the newest successful backup (${finding.backupId}) is ${roughDuration(finding.ageMs)} old, over ${limit} (alert ${rule.id})`
          : `${who}: backup ${finding.backupId} landed ${roughDuration(finding.ageMs!)} ago, under ${limit} again after ${roughDuration(now - (prev!.firingSince ?? now))} (alert ${rule.id})`;
      store.events.emit({
        projectId: ctx.project.id,
        environmentId: ctx.environment.id,
        serviceId: ctx.service.id,
        kind: transition === 'fired' ? 'alert.fired' : 'alert.resolved',
        severity: transition === 'fired' ? 'warning' : 'info',
        message,
        data: { ruleId: rule.id, rule: rule.name, check: 'backup_age', database: ctx.service.name, backupId: finding.backupId, ageMs: finding.ageMs, maxAgeMs: condition.maxAgeMs },
      });
    })();
  }
}
