import { randomBytes } from 'node:crypto';
import type { MetricsReader } from '../../core/metrics.js';
import type { Logger } from '../deploy/context.js';
import type { AlertCondition, AlertRule, AlertState } from '../store/alerts.js';
import type { WharfEvent } from '../store/events.js';
import type { Store } from '../store/store.js';
import { evaluateBackupAge } from './backup-age.js';
import { CertificateChecks } from './certificate-rules.js';
import { endpointKey, type CertificateTarget } from './certificates.js';
import { Dispatcher, type Delivered, type DispatcherOptions } from './delivery.js';
import { eventMatches, formatDuration, shortMetric, unitLabel, userUnitFactor } from './rules.js';
import type { Notification, NotificationType } from './types.js';

export const DEFAULT_INTERVAL_MS = 15_000;
export const DELIVERY_RETENTION_MS = 30 * 24 * 3_600_000;

export interface AlertEngineOptions {
  store: Store;
  /** Absent until metrics are collected: metric rules then wait (event rules work regardless). */
  metrics?: MetricsReader;
  logger?: Logger;
  /** How often metric and backup-age rules are evaluated, and due certificates checked (WHARF_ALERTS_INTERVAL_MS; default 15 s). */
  intervalMs?: number;
  /** How often each certificate is checked (WHARF_CERT_CHECK_INTERVAL_MS; default 1 h). */
  certificateIntervalMs?: number;
  /** Certificate targets a rule has besides its endpoints (the router's own, once it terminates TLS). */
  certificateTargets?: (rule: AlertRule) => CertificateTarget[];
  /** The engine's only view of time (tests pass a fake). */
  now?: () => number;
  dispatcher?: DispatcherOptions;
}

type MetricCondition = Extract<AlertCondition, { type: 'metric' }>;

const silent: Logger = { info() {}, warn() {}, error() {} };

export function newNotificationId(): string {
  return `ntf_${randomBytes(8).toString('hex')}`;
}

/** One step of a metric rule for one service instance; `value` is in the rule's user unit. */
export function stepMetricState(
  prev: Pick<AlertState, 'state' | 'breachSince' | 'firingSince'>,
  value: number | null,
  now: number,
  condition: Pick<MetricCondition, 'threshold' | 'forMs'>,
): { state: AlertState['state']; breachSince: number | null; firingSince: number | null; transition: 'fired' | 'resolved' | null } {
  if (value === null) {
    // No data: a breach is not continuous any more; a firing alert stays until a value says otherwise.
    if (prev.state === 'firing') return { state: 'firing', breachSince: prev.breachSince, firingSince: prev.firingSince, transition: null };
    return { state: 'ok', breachSince: null, firingSince: null, transition: null };
  }
  if (value > condition.threshold) {
    if (prev.state === 'firing') return { state: 'firing', breachSince: prev.breachSince, firingSince: prev.firingSince, transition: null };
    const breachSince = prev.breachSince ?? now;
    if (now - breachSince >= condition.forMs) return { state: 'firing', breachSince, firingSince: now, transition: 'fired' };
    return { state: 'pending', breachSince, firingSince: null, transition: null };
  }
  return { state: 'ok', breachSince: null, firingSince: null, transition: prev.state === 'firing' ? 'resolved' : null };
}

export function describeCondition(condition: AlertCondition): string {
  if (condition.type === 'event') return `on ${condition.events.join(', ')}`;
  if (condition.type === 'backup_age') return `newest backup older than ${formatDuration(condition.maxAgeMs)}`;
  if (condition.type === 'certificate') return `certificate of ${condition.endpoints.map(endpointKey).join(', ')} expires in < ${condition.days} days`;
  const unit = unitLabel(condition.metric);
  return `${shortMetric(condition.metric)} > ${condition.threshold}${unit}${condition.forMs > 0 ? ` for ${formatDuration(condition.forMs)}` : ''}`;
}

/**
 * Alerts: turns events into notifications for the event rules that match them, evaluates
 * metric and backup-age rules on an interval and checks certificates when due (firing and
 * resolving as `alert.fired` / `alert.resolved` events, which notify the rule's channel), and
 * delivers through the Dispatcher.
 */
export class AlertEngine {
  readonly dispatcher: Dispatcher;
  readonly intervalMs: number;
  readonly certificates: CertificateChecks;
  private readonly store: Store;
  private readonly metrics: MetricsReader | undefined;
  private readonly logger: Logger;
  private readonly now: () => number;
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly handling = new Set<Promise<void>>();
  private lastPrune = 0;
  private stopped = false;

  constructor(options: AlertEngineOptions) {
    this.store = options.store;
    this.metrics = options.metrics;
    this.logger = options.logger ?? silent;
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.dispatcher = new Dispatcher(options.store, options.dispatcher);
    this.certificates = new CertificateChecks({
      store: this.store,
      logger: this.logger,
      now: this.now,
      intervalMs: options.certificateIntervalMs,
      extraTargets: options.certificateTargets,
    });
  }

  /** Options from the environment: WHARF_ALERTS_INTERVAL_MS, WHARF_CERT_CHECK_INTERVAL_MS. */
  static fromEnv(options: AlertEngineOptions, env: NodeJS.ProcessEnv = process.env): AlertEngine {
    const interval = Number(env.WHARF_ALERTS_INTERVAL_MS);
    const certificates = Number(env.WHARF_CERT_CHECK_INTERVAL_MS);
    return new AlertEngine({
      ...options,
      ...(Number.isFinite(interval) && interval > 0 ? { intervalMs: interval } : {}),
      ...(Number.isFinite(certificates) && certificates > 0 ? { certificateIntervalMs: certificates } : {}),
    });
  }

  /** Subscribes to events and starts the loop (metric rules wait for a metrics reader). */
  start(): this {
    this.stopped = false;
    this.unsubscribe = this.store.events.subscribe((event) => {
      // Out of the emitter's call stack (it may be inside a transaction); never throws into it.
      const p = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.onEvent(event)).catch((error: unknown) => {
        this.logger.error({ err: error, eventId: event.id }, 'alerts could not handle an event');
      });
      this.handling.add(p);
      void p.finally(() => this.handling.delete(p));
    });
    this.schedule();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.certificates.stop();
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.handling]);
    await this.dispatcher.stop();
  }

  /** Resolves once every event seen so far is handled and its deliveries (retries included) are done. */
  async idle(): Promise<void> {
    while (this.handling.size > 0) await Promise.allSettled([...this.handling]);
    await this.certificates.idle();
    while (this.handling.size > 0) await Promise.allSettled([...this.handling]);
    await this.dispatcher.idle();
  }

  /** Sends a test notification through the rule's channel once, now; recorded in the delivery log. */
  test(rule: AlertRule): Promise<Delivered> {
    const names = this.names({ projectId: rule.projectId, environmentId: rule.environmentId, serviceId: rule.serviceId, deploymentId: null });
    const notification: Notification = {
      id: newNotificationId(),
      type: 'test',
      kind: 'alert.test',
      severity: 'info',
      message: `Test notification for alert rule ${rule.id} (${rule.name}): Wharf can reach this channel.`,
      ...names,
      data: { ruleId: rule.id, rule: rule.name, condition: rule.condition },
      at: new Date(this.now()).toISOString(),
    };
    return this.dispatcher.deliver(rule, notification, { retry: false });
  }

  /**
   * One pass over the metric and backup-age rules, starting the certificate checks that are due
   * (the loop calls it every interval; tests call it directly).
   */
  evaluate(): void {
    const metrics = this.metrics;
    const now = this.now();
    if (metrics) {
      for (const rule of this.store.alerts.listRules({ kind: 'metric' })) {
        if (!rule.enabled || rule.condition.type !== 'metric') continue;
        try {
          this.evaluateRule(rule, rule.condition, metrics, now);
        } catch (error) {
          this.logger.error({ err: error, ruleId: rule.id }, 'an alert rule could not be evaluated');
        }
      }
    }
    this.evaluateBackupAge(now);
    try {
      this.certificates.run(this.store.alerts.listRules({ kind: 'certificate' }));
    } catch (error) {
      this.logger.error({ err: error }, 'certificate checks could not start');
    }
    // The delivery log is stamped with the wall clock, so it is pruned by the wall clock.
    if (Date.now() - this.lastPrune > 3_600_000) {
      this.lastPrune = Date.now();
      this.store.alerts.pruneDeliveries(this.lastPrune - DELIVERY_RETENTION_MS);
    }
  }

  private evaluateBackupAge(now: number, projectId?: string): void {
    for (const rule of this.store.alerts.listRules({ kind: 'backup_age', ...(projectId ? { projectId } : {}) })) {
      if (!rule.enabled || rule.condition.type !== 'backup_age') continue;
      try {
        evaluateBackupAge(this.store, rule, rule.condition, this.instancesOf(rule), now);
      } catch (error) {
        this.logger.error({ err: error, ruleId: rule.id }, 'a backup-age rule could not be evaluated');
      }
    }
  }

  private evaluateRule(rule: AlertRule, condition: MetricCondition, metrics: MetricsReader, now: number): void {
    for (const instanceId of this.instancesOf(rule)) {
      let raw: number | null;
      try {
        raw = metrics.average(instanceId, condition.metric, condition.windowMs);
      } catch (error) {
        this.logger.warn({ err: error, ruleId: rule.id, instanceId }, 'metrics could not be read for an alert rule');
        continue;
      }
      const value = raw === null || !Number.isFinite(raw) ? null : raw / userUnitFactor(condition.metric);
      const prev = this.store.alerts.getState(rule.id, instanceId) ?? { state: 'ok' as const, breachSince: null, firingSince: null, lastValue: null };
      const next = stepMetricState(prev, value, now, condition);
      this.store.db.transaction(() => {
        this.store.alerts.saveState({ ruleId: rule.id, instanceId, state: next.state, breachSince: next.breachSince, firingSince: next.firingSince, lastValue: value ?? prev.lastValue });
        if (next.transition) this.emitTransition(rule, condition, instanceId, next.transition, value!, next.transition === 'fired' ? next.breachSince! : prev.firingSince ?? now, now);
      })();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      try {
        this.evaluate();
      } catch (error) {
        this.logger.error({ err: error }, 'alert rules could not be evaluated');
      }
      this.schedule();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** The service instances a metric or backup-age rule watches: its service (or all) in its environment (or all). */
  private instancesOf(rule: AlertRule): string[] {
    const { projects } = this.store;
    const services = rule.serviceId ? [projects.getService(rule.serviceId)] : projects.listServices(rule.projectId);
    const environments = rule.environmentId ? [projects.getEnvironment(rule.environmentId)] : projects.listEnvironments(rule.projectId);
    const out: string[] = [];
    for (const service of services) {
      for (const env of environments) {
        const instance = projects.findInstance(service.id, env.id);
        if (instance) out.push(instance.id);
      }
    }
    return out;
  }

  private emitTransition(rule: AlertRule, condition: MetricCondition, instanceId: string, transition: 'fired' | 'resolved', value: number, since: number, now: number): void {
    const ctx = this.store.projects.describeInstance(instanceId);
    const unit = unitLabel(condition.metric);
    const metric = shortMetric(condition.metric);
    const shown = `${Number(value.toFixed(2))}${unit}`;
    const message =
      transition === 'fired'
        ? `${ctx.service.name} (${ctx.environment.name}): ${metric} is ${shown}, over ${condition.threshold}${unit}${condition.forMs > 0 ? ` for ${formatDuration(Math.max(condition.forMs, now - since))}` : ''} (alert ${rule.id})`
        : `${ctx.service.name} (${ctx.environment.name}): ${metric} is back to ${shown} (threshold ${condition.threshold}${unit}) after firing for ${formatDuration(Math.round((now - since) / 1000) * 1000)} (alert ${rule.id})`;
    this.store.events.emit({
      projectId: ctx.project.id,
      environmentId: ctx.environment.id,
      serviceId: ctx.service.id,
      kind: transition === 'fired' ? 'alert.fired' : 'alert.resolved',
      severity: transition === 'fired' ? 'warning' : 'info',
      message,
      data: { ruleId: rule.id, rule: rule.name, metric: condition.metric, value, threshold: condition.threshold, forMs: condition.forMs, windowMs: condition.windowMs, since: new Date(since).toISOString() },
    });
  }

  private onEvent(event: WharfEvent): void {
    if (this.stopped || !event.projectId) return;
    // A fresh backup resolves a backup-age alert now, not at the next pass.
    if (event.kind === 'backup.succeeded') this.evaluateBackupAge(this.now(), event.projectId);
    const rules = this.store.alerts.listRules({ projectId: event.projectId });
    for (const rule of rules) {
      if (!rule.enabled) continue;
      let type: NotificationType | null = null;
      if (rule.condition.type === 'event') {
        const inScope = (rule.environmentId === null || rule.environmentId === event.environmentId) && (rule.serviceId === null || rule.serviceId === event.serviceId);
        if (inScope && rule.condition.events.some((p) => eventMatches(p, event.kind))) type = 'event';
      } else if (event.kind.startsWith('alert.') && event.data.ruleId === rule.id) {
        type = 'alert';
      }
      if (type) this.dispatcher.enqueue(rule, this.notificationOf(event, type));
    }
  }

  private notificationOf(event: WharfEvent, type: NotificationType): Notification {
    return {
      id: newNotificationId(),
      type,
      kind: event.kind,
      severity: event.severity,
      message: event.message,
      ...this.names(event),
      data: { ...event.data, eventId: event.id },
      at: event.at,
    };
  }

  private names(ids: Pick<WharfEvent, 'projectId' | 'environmentId' | 'serviceId' | 'deploymentId'>): Pick<Notification, 'project' | 'environment' | 'service' | 'deployment'> {
    const { projects, deployments } = this.store;
    const safe = <T>(fn: () => T): T | null => {
      try {
        return fn() ?? null;
      } catch {
        return null;
      }
    };
    const ref = (x: { id: string; name: string } | null) => (x ? { id: x.id, name: x.name } : null);
    return {
      project: ids.projectId ? ref(safe(() => projects.getProject(ids.projectId!))) : null,
      environment: ids.environmentId ? ref(safe(() => projects.getEnvironment(ids.environmentId!))) : null,
      service: ids.serviceId ? ref(safe(() => projects.getService(ids.serviceId!))) : null,
      deployment: ids.deploymentId ? safe(() => {
        const d = deployments.get(ids.deploymentId!);
        return { id: d.id, number: d.number };
      }) : null,
    };
  }
}
