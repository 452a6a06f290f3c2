import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Hono } from 'hono';
import { z } from 'zod';
import { WharfError } from '../../../core/errors.js';
import { channelSummary, checkWebhookUrl, parseSmtpUrl } from '../../notify/channels.js';
import { AlertEngine, describeCondition } from '../../notify/engine.js';
import { endpointKey, parseEndpoint } from '../../notify/certificates.js';
import { checkEventPattern, formatDuration, metricName, parseDuration } from '../../notify/rules.js';
import type { AlertCondition, AlertDelivery, AlertRule, ChannelConfig } from '../../store/alerts.js';
import type { Store } from '../../store/store.js';
import { jsonBody } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveProject } from '../resolve.js';

const ALERTS = '/v1/projects/:project/alerts';

const duration = z.union([z.string().max(20), z.number().min(0)]);
const email = z.string().regex(/^[^\s@<>,]+@[^\s@<>,]+$/, 'not an email address');

const channelBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('webhook'), url: z.string().max(2000), secret: z.string().min(8).max(200).optional() }),
  z.object({ type: z.literal('slack'), url: z.string().max(2000) }),
  z.object({ type: z.literal('discord'), url: z.string().max(2000) }),
  z.object({
    type: z.literal('email'),
    to: z.union([email, z.array(email).min(1).max(20)]),
    from: z.string().max(200).optional(),
    smtp: z.union([
      z.string().max(2000),
      z.object({ host: z.string().min(1).max(255), port: z.number().int().min(1).max(65535).optional(), secure: z.boolean().optional(), user: z.string().max(200).optional(), password: z.string().max(500).optional() }),
    ]),
  }),
]);

const createBody = z
  .object({
    name: z.string().min(1).max(100).optional(),
    /** Only this environment (default: every environment of the project). */
    environment: z.string().max(100).optional(),
    /** Only this service (default: every service). */
    service: z.string().max(100).optional(),
    /** Event rule: kinds or prefixes (`deployment.failed`, `cron.`, `*`). */
    event: z.union([z.string().max(100), z.array(z.string().max(100)).min(1).max(20)]).optional(),
    /** Metric rule: cpu, memory (MB), error_rate, latency_p95 (ms), restarts … */
    metric: z.string().max(40).optional(),
    threshold: z.number().optional(),
    /** How long the value must stay over the threshold (e.g. 5m; default 0: at once). */
    for: duration.optional(),
    /** The window each value is averaged over (default 1m). */
    window: duration.optional(),
    /** Backup-age rule: fire when the newest successful backup is older than this (e.g. 26h), or there is none. */
    backupAge: duration.optional(),
    /** Backup-age rule: only this database (default: every database of the project). */
    database: z.string().max(100).optional(),
    /** Certificate rule: endpoints whose TLS certificate is checked, `host` or `host:port` (443). */
    certificate: z.union([z.string().max(300), z.array(z.string().max(300)).min(1).max(20)]).optional(),
    /** Certificate rule: fire when fewer days than this remain (default 14). */
    days: z.number().int().min(1).max(3650).optional(),
    channel: channelBody,
  })
  .refine((b) => [b.event, b.metric, b.backupAge, b.certificate].filter((x) => x !== undefined).length === 1, { message: 'give one of event, metric, backupAge or certificate' })
  .refine((b) => b.metric === undefined || b.threshold !== undefined, { message: 'a metric rule needs a threshold', path: ['threshold'] });

const conditionView = z.union([
  z.object({ type: z.literal('event'), events: z.array(z.string()) }),
  z.object({ type: z.literal('metric'), metric: z.string(), threshold: z.number(), for: z.string(), forMs: z.number(), windowMs: z.number() }),
  z.object({ type: z.literal('backup_age'), maxAge: z.string(), maxAgeMs: z.number() }),
  z.object({ type: z.literal('certificate'), endpoints: z.array(z.string()), days: z.number() }),
]);
/** Certificate rules: the state per target; `daysLeft` null when the last check found no certificate. */
const targetView = z.object({ target: z.string(), state: z.enum(['ok', 'firing']), since: z.string().nullable(), daysLeft: z.number().nullable(), detail: z.string().nullable(), checkedAt: z.string() });
const stateView = z.object({ service: z.string(), environment: z.string(), state: z.enum(['ok', 'pending', 'firing']), since: z.string().nullable(), lastValue: z.number().nullable(), updatedAt: z.string() });
const ruleView = z.object({
  id: z.string(),
  name: z.string(),
  environment: z.string().nullable(),
  service: z.string().nullable(),
  condition: conditionView,
  description: z.string(),
  channel: z.object({ type: z.enum(['webhook', 'slack', 'discord', 'email']), target: z.string() }),
  enabled: z.boolean(),
  createdAt: z.string(),
  /** Metric and backup-age rules (lastValue: the metric in its unit, or the newest backup's age in hours). */
  states: z.array(stateView),
  targets: z.array(targetView),
});
const createdView = ruleView.extend({
  /** Only when Wharf made the webhook's signing secret: shown this once, never again. */
  generatedSecret: z.string().optional(),
});
const deliveryView = z.object({
  id: z.number(),
  ruleId: z.string(),
  notificationId: z.string(),
  kind: z.string(),
  channelType: z.string(),
  target: z.string(),
  attempt: z.number(),
  status: z.enum(['delivered', 'retrying', 'failed']),
  statusCode: z.number().nullable(),
  durationMs: z.number(),
  error: z.string().nullable(),
  at: z.string(),
});
const deliveriesQuery = z.object({ rule: z.string().max(40).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() });
const testView = z.object({ ok: z.boolean(), statusCode: z.number().nullable(), durationMs: z.number(), error: z.string().nullable() });

function toView(store: Store, rule: AlertRule): z.infer<typeof ruleView> {
  const { projects } = store;
  const c = rule.condition;
  const states = c.type === 'metric' || c.type === 'backup_age'
    ? store.alerts.listStates(rule.id).map((s) => {
        const ctx = projects.describeInstance(s.instanceId);
        const since = s.state === 'firing' ? s.firingSince : s.state === 'pending' ? s.breachSince : null;
        return { service: ctx.service.name, environment: ctx.environment.name, state: s.state, since: since === null ? null : new Date(since).toISOString(), lastValue: s.lastValue, updatedAt: s.updatedAt };
      })
    : [];
  return {
    id: rule.id,
    name: rule.name,
    environment: rule.environmentId ? projects.getEnvironment(rule.environmentId).name : null,
    service: rule.serviceId ? projects.getService(rule.serviceId).name : null,
    condition: conditionOut(c),
    description: describeCondition(c),
    channel: { type: rule.channel.type, target: rule.channelSummary },
    enabled: rule.enabled,
    createdAt: rule.createdAt,
    states,
    targets: store.alerts.listTargetStates(rule.id).map((t) => ({
      target: t.target, state: t.state, since: t.firingSince === null ? null : new Date(t.firingSince).toISOString(), daysLeft: t.lastValue, detail: t.detail, checkedAt: new Date(t.checkedAt).toISOString(),
    })),
  };
}

function conditionOut(c: AlertCondition): z.infer<typeof conditionView> {
  switch (c.type) {
    case 'event':
      return c;
    case 'metric':
      return { type: 'metric', metric: c.metric, threshold: c.threshold, for: formatDuration(c.forMs), forMs: c.forMs, windowMs: c.windowMs };
    case 'backup_age':
      return { type: 'backup_age', maxAge: formatDuration(c.maxAgeMs), maxAgeMs: c.maxAgeMs };
    case 'certificate':
      return { type: 'certificate', endpoints: c.endpoints.map(endpointKey), days: c.days };
  }
}

const deliveryOut = ({ projectId: _p, ...rest }: AlertDelivery) => rest;

function toChannel(body: z.infer<typeof channelBody>): { channel: ChannelConfig; generatedSecret?: string } {
  switch (body.type) {
    case 'webhook': {
      const generatedSecret = body.secret ? undefined : randomBytes(24).toString('base64url');
      return { channel: { type: 'webhook', url: checkWebhookUrl(body.url, 'the webhook URL'), secret: body.secret ?? generatedSecret! }, generatedSecret };
    }
    case 'slack':
      return { channel: { type: 'slack', url: checkWebhookUrl(body.url, 'the Slack webhook URL') } };
    case 'discord':
      return { channel: { type: 'discord', url: checkWebhookUrl(body.url, 'the Discord webhook URL') } };
    case 'email': {
      const smtp = typeof body.smtp === 'string'
        ? parseSmtpUrl(body.smtp)
        : { host: body.smtp.host, port: body.smtp.port ?? (body.smtp.secure ? 465 : 587), secure: body.smtp.secure ?? false, ...(body.smtp.user ? { user: body.smtp.user } : {}), ...(body.smtp.password ? { password: body.smtp.password } : {}) };
      const from = body.from ?? (smtp.user?.includes('@') ? smtp.user : `wharf@${os.hostname()}`);
      return { channel: { type: 'email', to: Array.isArray(body.to) ? body.to : [body.to], from, smtp } };
    }
  }
}

function toCondition(body: z.infer<typeof createBody>): AlertCondition {
  if (body.event !== undefined) {
    const events = (Array.isArray(body.event) ? body.event : body.event.split(',')).map((e) => e.trim()).filter(Boolean).map(checkEventPattern);
    if (events.length === 0) throw new WharfError('BAD_REQUEST', 'an event rule needs at least one event kind');
    return { type: 'event', events };
  }
  if (body.backupAge !== undefined) {
    const maxAgeMs = parseDuration(body.backupAge);
    if (maxAgeMs < 60_000) throw new WharfError('BAD_REQUEST', `a backup age of ${formatDuration(maxAgeMs)} is too short to watch`, { hint: 'Give at least 1m; a daily schedule wants something like --backup-age 26h.' });
    return { type: 'backup_age', maxAgeMs };
  }
  if (body.certificate !== undefined) {
    const list = (Array.isArray(body.certificate) ? body.certificate : body.certificate.split(',')).map((e) => e.trim()).filter(Boolean);
    if (list.length === 0) throw new WharfError('BAD_REQUEST', 'a certificate rule needs an endpoint', { hint: 'e.g. --certificate api.example.com or api.example.com:8443.' });
    const endpoints = [...new Map(list.map(parseEndpoint).map((e) => [endpointKey(e), e])).values()];
    return { type: 'certificate', endpoints, days: body.days ?? 14 };
  }
  const forMs = body.for === undefined ? 0 : parseDuration(body.for);
  const windowMs = body.window === undefined ? 60_000 : parseDuration(body.window);
  if (windowMs < 1000) throw new WharfError('BAD_REQUEST', 'the averaging window must be at least 1s');
  return { type: 'metric', metric: metricName(body.metric!), threshold: body.threshold!, forMs, windowMs };
}

/** Which scope each kind of rule takes. */
function checkScope(body: z.infer<typeof createBody>): void {
  if (body.database !== undefined && body.backupAge === undefined) {
    throw new WharfError('BAD_REQUEST', 'a database is only the scope of a backup-age rule', { hint: 'Use --service for event and metric rules.' });
  }
  if (body.backupAge !== undefined && body.database !== undefined && body.service !== undefined) {
    throw new WharfError('BAD_REQUEST', 'give the database once: --database NAME (not --service too)');
  }
  if (body.days !== undefined && body.certificate === undefined) {
    throw new WharfError('BAD_REQUEST', 'days only applies to a certificate rule', { hint: 'e.g. --certificate api.example.com --days 14.' });
  }
  if (body.certificate !== undefined && (body.service !== undefined || body.environment !== undefined)) {
    throw new WharfError('BAD_REQUEST', 'a certificate rule watches an endpoint, not a service or an environment', { hint: 'Leave out --service and --environment: the rule is the project\'s.' });
  }
}

export function alertRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry } = deps;
  const ruleOf = (projectName: string, id: string) => {
    const project = resolveProject(store, projectName);
    const rule = store.alerts.findRule(id);
    if (!rule || rule.projectId !== project.id) {
      throw new WharfError('NOT_FOUND', `alert rule '${id}' does not exist in project '${project.name}'`, { hint: 'List the rules with `wharf alerts list`.' });
    }
    return rule;
  };

  registry.add({ method: 'get', path: ALERTS, summary: "A project's alert rules, with the state of metric rules per service (channel secrets are never shown)", response: z.array(ruleView) });
  app.get(ALERTS, (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    return c.json(store.alerts.listRules({ projectId: project.id }).map((r) => toView(store, r)));
  });

  registry.add({ method: 'post', path: ALERTS, summary: "Create an alert rule: an event pattern, a metric threshold, a backup age or a certificate's expiry, and a channel (webhook, slack, discord, email)", body: createBody, response: createdView });
  app.post(ALERTS, async (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    const body = await jsonBody(c, createBody);
    const environment = body.environment ? store.projects.findEnvironment(project.id, body.environment) : null;
    if (body.environment && !environment) throw new WharfError('NOT_FOUND', `environment '${body.environment}' does not exist in project '${project.name}'`);
    checkScope(body);
    const serviceName = body.database ?? body.service;
    const service = serviceName ? store.projects.findService(project.id, serviceName) : null;
    if (serviceName && !service) {
      const names = store.projects.listServices(project.id).filter((s) => body.database === undefined || s.kind === 'database').map((s) => s.name);
      const what = body.database !== undefined ? 'database' : 'service';
      throw new WharfError('NOT_FOUND', `${what} '${serviceName}' does not exist in project '${project.name}'`, {
        hint: names.length ? `${what === 'database' ? 'Databases' : 'Services'}: ${names.join(', ')}.` : what === 'database' ? 'Add one with `wharf add postgres`.' : 'Deploy one with `wharf up`.',
      });
    }
    if (body.backupAge !== undefined && service && service.kind !== 'database') {
      throw new WharfError('BAD_REQUEST', `'${service.name}' is a ${service.kind} service, not a database: it has no backups`, { hint: 'Name a database with --database, or leave it out to watch every database of the project.' });
    }
    const condition = toCondition(body);
    const { channel, generatedSecret } = toChannel(body.channel);
    const name = body.name ?? `${service ? `${service.name}: ` : ''}${describeCondition(condition).replace(/^on /, '')}`;
    const rule = store.alerts.createRule({
      projectId: project.id,
      environmentId: environment?.id ?? null,
      serviceId: service?.id ?? null,
      name,
      condition,
      channel,
      channelSummary: channelSummary(channel),
    });
    return c.json({ ...toView(store, rule), ...(generatedSecret ? { generatedSecret } : {}) }, 201);
  });

  // Before /:id, so "deliveries" is not taken for a rule id.
  registry.add({ method: 'get', path: `${ALERTS}/deliveries`, summary: 'The delivery log: every attempt with its status code, duration and error (rule=ID for one rule)', query: deliveriesQuery, response: z.array(deliveryView) });
  app.get(`${ALERTS}/deliveries`, (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    const query = deliveriesQuery.parse(c.req.query());
    if (query.rule) ruleOrDeleted(store, project.id, query.rule);
    return c.json(store.alerts.listDeliveries({ projectId: project.id, ruleId: query.rule, limit: query.limit ?? 50 }).map(deliveryOut));
  });

  registry.add({ method: 'get', path: `${ALERTS}/:id`, summary: 'One alert rule with its state', response: ruleView });
  app.get(`${ALERTS}/:id`, (c) => c.json(toView(store, ruleOf(c.req.param('project')!, c.req.param('id')!))));

  registry.add({ method: 'delete', path: `${ALERTS}/:id`, summary: 'Delete an alert rule (its deliveries stay in the log)', response: z.object({ deleted: z.string() }) });
  app.delete(`${ALERTS}/:id`, (c) => {
    const rule = ruleOf(c.req.param('project')!, c.req.param('id')!);
    store.alerts.deleteRule(rule.id);
    return c.json({ deleted: rule.id });
  });

  registry.add({ method: 'post', path: `${ALERTS}/:id/test`, summary: "Send a test notification through the rule's channel now (one attempt, recorded in the delivery log)", response: testView });
  app.post(`${ALERTS}/:id/test`, async (c) => {
    const rule = ruleOf(c.req.param('project')!, c.req.param('id')!);
    const { result } = await new AlertEngine({ store, logger: deps.logger }).test(rule);
    return c.json({ ok: result.ok, statusCode: result.statusCode, durationMs: Math.round(result.durationMs), error: result.error });
  });
}

/** A rule id for the delivery log may name a deleted rule; anything else must be this project's. */
function ruleOrDeleted(store: Store, projectId: string, id: string): void {
  const rule = store.alerts.findRule(id);
  if (rule && rule.projectId !== projectId) throw new WharfError('NOT_FOUND', `alert rule '${id}' does not exist in this project`);
}
