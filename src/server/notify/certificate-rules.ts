import type { Logger } from '../deploy/context.js';
import type { AlertRule, AlertTargetState } from '../store/alerts.js';
import type { Store } from '../store/store.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, endpointTargets, type CertificateReport, type CertificateTarget } from './certificates.js';
import { roughDuration } from './rules.js';

// Certificate rules: each target of a rule is checked when its last check is older than the
// interval (hourly by default, WHARF_CERT_CHECK_INTERVAL_MS), a check at a time per target,
// never in the alert loop's way. A rule fires for a target when fewer than `days` days remain
// or there was no certificate to read, and resolves when a check finds enough days again.

export const DEFAULT_CERT_CHECK_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;

type CertificateCondition = Extract<AlertRule['condition'], { type: 'certificate' }>;

export interface CertificateChecksOptions {
  store: Store;
  logger: Logger;
  now: () => number;
  intervalMs?: number;
  timeoutMs?: number;
  /**
   * Targets a rule has besides its endpoints: the router's own certificates once it terminates
   * TLS for custom domains (read from its store rather than by a handshake).
   */
  extraTargets?: (rule: AlertRule) => CertificateTarget[];
}

export function breaches(report: CertificateReport, days: number): boolean {
  return !report.ok || report.daysLeft === null || report.daysLeft < days;
}

/**
 * What a check found, in words: "expires in 2d 23h (2026-11-26)", "expired 3d ago (…)", with
 * ", fewer than N days left" when `days` is given and it breaches, and "; not trusted: …"; or
 * why it could not be read.
 */
export function describeReport(report: CertificateReport, days?: number): string {
  if (!report.ok || report.validTo === null || report.daysLeft === null) return `could not be checked: ${report.problem ?? 'no certificate'}`;
  const day = report.validTo.toISOString().slice(0, 10);
  const when = report.daysLeft < 0 ? `expired ${roughDuration(-report.daysLeft * DAY_MS)} ago (${day})` : `expires in ${roughDuration(report.daysLeft * DAY_MS)} (${day})`;
  const short = days !== undefined && report.daysLeft >= 0 && report.daysLeft < days ? `, fewer than ${days} days left` : '';
  return `${when}${short}${report.trusted ? '' : `; not trusted: ${report.problem}`}`;
}

export class CertificateChecks {
  readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly inFlight = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly options: CertificateChecksOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_CERT_CHECK_INTERVAL_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  }

  targetsOf(rule: AlertRule): CertificateTarget[] {
    if (rule.condition.type !== 'certificate') return [];
    return [...endpointTargets(rule.condition.endpoints, this.options.now), ...(this.options.extraTargets?.(rule) ?? [])];
  }

  /** Starts the checks that are due; returns at once. */
  run(rules: readonly AlertRule[]): void {
    if (this.stopped) return;
    const now = this.options.now();
    for (const rule of rules) {
      if (!rule.enabled || rule.condition.type !== 'certificate') continue;
      const condition = rule.condition;
      for (const target of this.targetsOf(rule)) {
        const key = `${rule.id}\u0000${target.key}`;
        if (this.inFlight.has(key)) continue;
        const last = this.options.store.alerts.getTargetState(rule.id, target.key);
        if (last && now - last.checkedAt < this.intervalMs) continue;
        const p = this.check(rule, condition, target)
          .catch((error: unknown) => this.options.logger.error({ err: error, ruleId: rule.id, target: target.key }, 'a certificate could not be checked'))
          .finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, p);
      }
    }
  }

  /** Resolves when no check is in flight (each ends within its timeout). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  private async check(rule: AlertRule, condition: CertificateCondition, target: CertificateTarget): Promise<void> {
    const report = await target.check(this.timeoutMs);
    const { store } = this.options;
    if (this.stopped || !store.alerts.findRule(rule.id)) return; // stopping, or the rule was deleted meanwhile
    const now = this.options.now();
    const prev = store.alerts.getTargetState(rule.id, target.key);
    const breaching = breaches(report, condition.days);
    const wasFiring = prev?.state === 'firing';
    const next: AlertTargetState = {
      ruleId: rule.id,
      target: target.key,
      state: breaching ? 'firing' : 'ok',
      firingSince: breaching ? (wasFiring ? prev!.firingSince : now) : null,
      lastValue: report.daysLeft === null ? null : Math.round(report.daysLeft * 100) / 100,
      detail: describeReport(report),
      checkedAt: now,
    };
    const transition = breaching && !wasFiring ? 'fired' : !breaching && wasFiring ? 'resolved' : null;
    store.db.transaction(() => {
      store.alerts.saveTargetState(next);
      if (!transition) return;
      const message =
        transition === 'fired'
          ? `certificate of ${target.key} ${describeReport(report, condition.days)} (alert ${rule.id})`
          : `certificate of ${target.key} is valid for ${Math.floor(report.daysLeft!)} more days, until ${report.validTo!.toISOString().slice(0, 10)}${report.trusted ? '' : `; not trusted: ${report.problem}`} (alert ${rule.id})`;
      store.events.emit({
        projectId: rule.projectId,
        environmentId: rule.environmentId,
        serviceId: rule.serviceId,
        kind: transition === 'fired' ? 'alert.fired' : 'alert.resolved',
        severity: transition === 'fired' ? 'warning' : 'info',
        message,
        data: {
          ruleId: rule.id,
          rule: rule.name,
          check: 'certificate',
          target: target.key,
          days: condition.days,
          daysLeft: next.lastValue,
          validTo: report.validTo?.toISOString() ?? null,
          trusted: report.trusted,
          problem: report.problem,
          subject: report.subject,
          issuer: report.issuer,
        },
      });
    })();
  }
}
