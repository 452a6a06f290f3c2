import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Hono } from 'hono';
import { z } from 'zod';
import { WharfError } from '../../../core/errors.js';
import { channelSummary, checkWebhookUrl, parseSmtpUrl } from '../../notify/channels.js';
import { AlertEngine, describeCondition } from '../../notify/engine.js';
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
    channel: channelBody,
  })
  .refine((b) => (b.event === undefined) !== (b.metric === undefined), { message: 'give either event or metric (not both)' })
  .refine((b) => b.metric === undefined || b.threshold !== undefined, { message: 'a metric rule needs a threshold', path: ['threshold'] });

const conditionView = z.union([
  z.object({ type: z.literal('event'), events: z.array(z.string()) }),
  z.object({ type: z.literal('metric'), metric: z.string(), threshold: z.number(), for: z.string(), forMs: z.number(), windowMs: z.number() }),
]);
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
  states: z.array(stateView),
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
  const states = rule.condition.type === 'metric'
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
    condition: c.type === 'event' ? c : { type: 'metric', metric: c.metric, threshold: c.threshold, for: formatDuration(c.forMs), forMs: c.forMs, windowMs: c.windowMs },
    description: describeCondition(c),
    channel: { type: rule.channel.type, target: rule.channelSummary },
    enabled: rule.enabled,
    createdAt: rule.createdAt,
    states,
  };
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
  const forMs = body.for === undefined ? 0 : parseDuration(body.for);
  const windowMs = body.window === undefined ? 60_000 : parseDuration(body.window);
  if (windowMs < 1000) throw new WharfError('BAD_REQUEST', 'the averaging window must be at least 1s');
  return { type: 'metric', metric: metricName(body.metric!), threshold: body.threshold!, forMs, windowMs };
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

  registry.add({ method: 'post', path: ALERTS, summary: 'Create an alert rule: an event pattern or a metric threshold, and a channel (webhook, slack, discord, email)', body: createBody, response: createdView });
  app.post(ALERTS, async (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    const body = await jsonBody(c, createBody);
    const environment = body.environment ? store.projects.findEnvironment(project.id, body.environment) : null;
    if (body.environment && !environment) throw new WharfError('NOT_FOUND', `environment '${body.environment}' does not exist in project '${project.name}'`);
    const service = body.service ? store.projects.findService(project.id, body.service) : null;
    if (body.service && !service) {
      const names = store.projects.listServices(project.id).map((s) => s.name);
      throw new WharfError('NOT_FOUND', `service '${body.service}' does not exist in project '${project.name}'`, { hint: names.length ? `Services: ${names.join(', ')}.` : 'Deploy one with `wharf up`.' });
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
