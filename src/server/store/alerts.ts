import { randomBytes } from 'node:crypto';
import type { MetricName } from '../../core/metrics.js';
import type { Db } from './database.js';
import { now } from './ids.js';
import type { SecretBox } from '../../shared/secrets/secret-box.js';

// Alert rules, the state of metric rules per service instance, and the delivery log. A rule's
// channel config (URLs, webhook secret, SMTP password) is encrypted at rest as one blob; what
// the API shows is `channelSummary`, made without secrets when the rule is created.

export type ChannelType = 'webhook' | 'slack' | 'discord' | 'email';

export interface SmtpConfig {
  host: string;
  port: number;
  /** TLS from the start (smtps, port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user?: string;
  password?: string;
}

export type ChannelConfig =
  | { type: 'webhook'; url: string; secret: string }
  | { type: 'slack'; url: string }
  | { type: 'discord'; url: string }
  | { type: 'email'; to: string[]; from: string; smtp: SmtpConfig };

/** An endpoint whose TLS certificate is checked: a handshake with `host` (also the SNI name). */
export interface CertificateEndpoint {
  host: string;
  port: number;
}

export type AlertCondition =
  | { type: 'event'; events: string[] }
  | { type: 'metric'; metric: MetricName; threshold: number; forMs: number; windowMs: number }
  /** The newest successful backup of each database in scope is older than maxAgeMs, or there is none. */
  | { type: 'backup_age'; maxAgeMs: number }
  /** A certificate expires in fewer than `days` days, or its handshake fails. */
  | { type: 'certificate'; endpoints: CertificateEndpoint[]; days: number };

export interface AlertRule {
  id: string;
  projectId: string;
  /** null: every environment. */
  environmentId: string | null;
  /** null: every service. */
  serviceId: string | null;
  name: string;
  condition: AlertCondition;
  channel: ChannelConfig;
  channelSummary: string;
  enabled: boolean;
  createdAt: string;
}

export type NewAlertRule = Omit<AlertRule, 'id' | 'createdAt' | 'enabled'>;

export type AlertStateName = 'ok' | 'pending' | 'firing';

export interface AlertState {
  ruleId: string;
  instanceId: string;
  state: AlertStateName;
  /** When the value first went over the threshold in the current breach. */
  breachSince: number | null;
  firingSince: number | null;
  lastValue: number | null;
  updatedAt: string;
}

/** The state of a rule for one target that is not a service instance (a certificate's `host:port`). */
export interface AlertTargetState {
  ruleId: string;
  target: string;
  state: 'ok' | 'firing';
  firingSince: number | null;
  /** Certificates: days left (negative once expired), null when the handshake failed. */
  lastValue: number | null;
  /** What the last check found, in words. */
  detail: string | null;
  checkedAt: number;
}

export type DeliveryStatus = 'delivered' | 'retrying' | 'failed';

export interface AlertDelivery {
  id: number;
  projectId: string;
  ruleId: string;
  notificationId: string;
  kind: string;
  channelType: ChannelType;
  target: string;
  attempt: number;
  status: DeliveryStatus;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  at: string;
}

interface RuleRow {
  id: string; project_id: string; environment_id: string | null; service_id: string | null; name: string; kind: string;
  condition: string; channel_type: string; channel: string; channel_summary: string; enabled: number; created_at: string;
}
interface TargetStateRow { rule_id: string; target: string; state: string; firing_since: string | null; last_value: number | null; detail: string | null; checked_at: string }
interface StateRow { rule_id: string; instance_id: string; state: string; breach_since: string | null; firing_since: string | null; last_value: number | null; updated_at: string }
interface DeliveryRow {
  id: number; project_id: string; rule_id: string; notification_id: string; kind: string; channel_type: string; target: string;
  attempt: number; status: string; status_code: number | null; duration_ms: number; error: string | null; at: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const ms = (value: string | null) => (value === null ? null : Date.parse(value));

export function newAlertId(): string {
  return `alr_${randomBytes(8).toString('hex')}`;
}

export class AlertRepository {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  createRule(input: NewAlertRule): AlertRule {
    const rule: AlertRule = { ...input, id: newAlertId(), enabled: true, createdAt: now() };
    this.db.prepare(`INSERT INTO alert_rules (id, project_id, environment_id, service_id, name, kind, condition, channel_type, channel, channel_summary, enabled, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`).run(rule.id, rule.projectId, rule.environmentId, rule.serviceId, rule.name, rule.condition.type,
      JSON.stringify(rule.condition), rule.channel.type, this.box.encrypt(JSON.stringify(rule.channel)), rule.channelSummary, rule.createdAt);
    return rule;
  }

  findRule(id: string): AlertRule | null {
    const row = this.db.prepare('SELECT * FROM alert_rules WHERE id = ?').get(id) as RuleRow | undefined;
    return row ? this.toRule(row) : null;
  }

  listRules(filter: { projectId?: string; kind?: AlertCondition['type'] } = {}): AlertRule[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.projectId) (where.push('project_id = ?'), args.push(filter.projectId));
    if (filter.kind) (where.push('kind = ?'), args.push(filter.kind));
    const rows = this.db.prepare(`SELECT * FROM alert_rules ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`).all(...args) as RuleRow[];
    return rows.map((r) => this.toRule(r));
  }

  /** Removes the rule and its state; its deliveries stay in the log. */
  deleteRule(id: string): boolean {
    return this.db.prepare('DELETE FROM alert_rules WHERE id = ?').run(id).changes > 0;
  }

  getState(ruleId: string, instanceId: string): AlertState | null {
    const row = this.db.prepare('SELECT * FROM alert_states WHERE rule_id = ? AND instance_id = ?').get(ruleId, instanceId) as StateRow | undefined;
    return row ? toState(row) : null;
  }

  listStates(ruleId: string): AlertState[] {
    return (this.db.prepare('SELECT * FROM alert_states WHERE rule_id = ? ORDER BY instance_id').all(ruleId) as StateRow[]).map(toState);
  }

  saveState(state: Omit<AlertState, 'updatedAt'>): void {
    this.db.prepare(`INSERT INTO alert_states (rule_id, instance_id, state, breach_since, firing_since, last_value, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (rule_id, instance_id) DO UPDATE SET state = excluded.state, breach_since = excluded.breach_since, firing_since = excluded.firing_since,
      last_value = excluded.last_value, updated_at = excluded.updated_at`)
      .run(state.ruleId, state.instanceId, state.state, iso(state.breachSince), iso(state.firingSince), state.lastValue, now());
  }

  getTargetState(ruleId: string, target: string): AlertTargetState | null {
    const row = this.db.prepare('SELECT * FROM alert_target_states WHERE rule_id = ? AND target = ?').get(ruleId, target) as TargetStateRow | undefined;
    return row ? toTargetState(row) : null;
  }

  listTargetStates(ruleId: string): AlertTargetState[] {
    return (this.db.prepare('SELECT * FROM alert_target_states WHERE rule_id = ? ORDER BY target').all(ruleId) as TargetStateRow[]).map(toTargetState);
  }

  saveTargetState(state: AlertTargetState): void {
    this.db.prepare(`INSERT INTO alert_target_states (rule_id, target, state, firing_since, last_value, detail, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (rule_id, target) DO UPDATE SET state = excluded.state, firing_since = excluded.firing_since, last_value = excluded.last_value,
      detail = excluded.detail, checked_at = excluded.checked_at`)
      .run(state.ruleId, state.target, state.state, iso(state.firingSince), state.lastValue, state.detail, iso(state.checkedAt));
  }

  recordDelivery(input: Omit<AlertDelivery, 'id' | 'at'>): AlertDelivery {
    const at = now();
    const info = this.db.prepare(`INSERT INTO alert_deliveries (project_id, rule_id, notification_id, kind, channel_type, target, attempt, status, status_code, duration_ms, error, at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(input.projectId, input.ruleId, input.notificationId, input.kind, input.channelType, input.target,
      input.attempt, input.status, input.statusCode, Math.round(input.durationMs), input.error, at);
    return { ...input, id: Number(info.lastInsertRowid), at };
  }

  /** Newest `limit` attempts, oldest first. */
  listDeliveries(filter: { projectId: string; ruleId?: string; limit?: number }): AlertDelivery[] {
    const where = ['project_id = ?'];
    const args: unknown[] = [filter.projectId];
    if (filter.ruleId) (where.push('rule_id = ?'), args.push(filter.ruleId));
    const sql = `SELECT * FROM (SELECT * FROM alert_deliveries WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?) ORDER BY id`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? 50) as DeliveryRow[]).map(toDelivery);
  }

  /** Drops delivery records older than `before` (ms since epoch); returns how many. */
  pruneDeliveries(before: number): number {
    return this.db.prepare('DELETE FROM alert_deliveries WHERE at < ?').run(new Date(before).toISOString()).changes;
  }

  private toRule(r: RuleRow): AlertRule {
    return {
      id: r.id, projectId: r.project_id, environmentId: r.environment_id, serviceId: r.service_id, name: r.name,
      condition: JSON.parse(r.condition) as AlertCondition,
      channel: JSON.parse(this.box.decrypt(r.channel)) as ChannelConfig,
      channelSummary: r.channel_summary, enabled: r.enabled === 1, createdAt: r.created_at,
    };
  }
}

const toState = (r: StateRow): AlertState => ({
  ruleId: r.rule_id, instanceId: r.instance_id, state: r.state as AlertStateName, breachSince: ms(r.breach_since), firingSince: ms(r.firing_since),
  lastValue: r.last_value, updatedAt: r.updated_at,
});

const toTargetState = (r: TargetStateRow): AlertTargetState => ({
  ruleId: r.rule_id, target: r.target, state: r.state === 'firing' ? 'firing' : 'ok', firingSince: ms(r.firing_since), lastValue: r.last_value,
  detail: r.detail, checkedAt: Date.parse(r.checked_at),
});

const toDelivery = (r: DeliveryRow): AlertDelivery => ({
  id: r.id, projectId: r.project_id, ruleId: r.rule_id, notificationId: r.notification_id, kind: r.kind, channelType: r.channel_type as ChannelType,
  target: r.target, attempt: r.attempt, status: r.status as DeliveryStatus, statusCode: r.status_code, durationMs: r.duration_ms, error: r.error, at: r.at,
});
