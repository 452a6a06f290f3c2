import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { MetricName, MetricPoint, MetricsReader } from '../../src/core/metrics.js';
import { channelSummary, parseSmtpUrl } from '../../src/server/notify/channels.js';
import { AlertEngine, type AlertEngineOptions } from '../../src/server/notify/engine.js';
import type { AlertCondition, AlertRule, ChannelConfig } from '../../src/server/store/alerts.js';
import { Store } from '../../src/server/store/store.js';
import { Keyring } from '../../src/shared/secrets/keyring.js';
import { waitFor } from '../helpers/wharf.js';

// Alerts in-process with real parts: a Store on disk, real HTTP receivers and a real SMTP
// server on 127.0.0.1, the real channels and dispatcher. Only time is fake for metric rules,
// and the MetricsReader is a hand-written fake (its real one is tested with the metrics module).

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

interface Receiver {
  url: string;
  requests: Received[];
}

/** An HTTP receiver answering each request with the next status of `statuses` (then the last). */
async function receiver(t: TestContext, statuses: number[] = [200]): Promise<Receiver> {
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      requests.push({ headers: req.headers, body, at: Date.now() });
      const status = statuses[Math.min(requests.length - 1, statuses.length - 1)]!;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? `failing on purpose (${status})` : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/wharf`, requests };
}

interface Harness {
  store: Store;
  projectId: string;
  environmentId: string;
  web: { serviceId: string; instanceId: string };
  api: { serviceId: string; instanceId: string };
  dbFile: string;
  rule(condition: AlertCondition, channel: ChannelConfig, scope?: { serviceId?: string }): AlertRule;
  engine(options?: Partial<AlertEngineOptions>): AlertEngine;
}

async function setup(t: TestContext): Promise<Harness> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'wharf-notify-'));
  const dbFile = path.join(home, 'state.db');
  const store = Store.open(dbFile, Keyring.load({ keyFile: path.join(home, 'secret.key') }));
  const engines: AlertEngine[] = [];
  t.after(async () => {
    for (const e of engines) await e.stop();
    store.close();
    await rm(home, { recursive: true, force: true });
  });
  const { project, environment } = store.projects.createProject('shop');
  const service = (name: string) => {
    const svc = store.projects.createService(project.id, name, 'web');
    return { serviceId: svc.id, instanceId: store.projects.findInstance(svc.id, environment.id)!.id };
  };
  const web = service('web');
  const api = service('api');
  return {
    store,
    projectId: project.id,
    environmentId: environment.id,
    web,
    api,
    dbFile,
    rule: (condition, channel, scope = {}) =>
      store.alerts.createRule({ projectId: project.id, environmentId: null, serviceId: scope.serviceId ?? null, name: 'test rule', condition, channel, channelSummary: channelSummary(channel) }),
    engine: (options = {}) => {
      const engine = new AlertEngine({ store, dispatcher: { retry: { baseMs: 50 } }, ...options }).start();
      engines.push(engine);
      return engine;
    },
  };
}

const verify = (secret: string, r: Received) => {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`);
  const given = Buffer.from(String(r.headers['x-wharf-signature'] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
};

test('an event rule posts a signed JSON payload; the receiver verifies the HMAC; other kinds do not match', async (t) => {
  const h = await setup(t);
  const hook = await receiver(t);
  const rule = h.rule({ type: 'event', events: ['deployment.failed'] }, { type: 'webhook', url: hook.url, secret: 's3cret-signing-key' });
  const engine = h.engine();

  h.store.events.emit({ projectId: h.projectId, environmentId: h.environmentId, serviceId: h.web.serviceId, kind: 'deployment.succeeded', severity: 'info', message: 'web (production): deployment #1 is live' });
  h.store.events.emit({ projectId: h.projectId, environmentId: h.environmentId, serviceId: h.web.serviceId, kind: 'deployment.failed', severity: 'error', message: 'web (production): deployment #2 FAILED: build failed', data: { deployment: 2 } });
  await waitFor(() => hook.requests.length >= 1, { timeoutMs: 5_000, what: 'the webhook' });
  await engine.idle();

  assert.equal(hook.requests.length, 1, 'only the matching event is sent');
  const [req] = hook.requests;
  assert.ok(verify('s3cret-signing-key', req!), `signature ${String(req!.headers['x-wharf-signature'])} verifies`);
  assert.ok(!verify('another-secret', req!), 'a different secret does not verify');
  assert.match(String(req!.headers['x-wharf-timestamp']), /^\d{10}$/);
  assert.equal(req!.headers['content-type'], 'application/json');
  const payload = JSON.parse(req!.body) as Record<string, unknown>;
  assert.equal(payload.type, 'event');
  assert.equal(payload.kind, 'deployment.failed');
  assert.equal(payload.severity, 'error');
  assert.equal(payload.message, 'web (production): deployment #2 FAILED: build failed');
  assert.deepEqual(payload.project, { id: h.projectId, name: 'shop' });
  assert.deepEqual(payload.environment, { id: h.environmentId, name: 'production' });
  assert.deepEqual(payload.service, { id: h.web.serviceId, name: 'web' });
  assert.equal(payload.deployment, null);
  assert.equal((payload.data as { deployment: number }).deployment, 2);
  assert.ok(typeof payload.at === 'string');
  for (const key of ['type', 'kind', 'severity', 'message', 'project', 'environment', 'service', 'deployment', 'data', 'at']) assert.ok(key in payload, key);

  const log = h.store.alerts.listDeliveries({ projectId: h.projectId, ruleId: rule.id });
  assert.deepEqual(log.map((d) => [d.attempt, d.status, d.statusCode, d.kind]), [[1, 'delivered', 200, 'deployment.failed']]);
  assert.doesNotMatch(readFileSync(h.dbFile).toString('latin1'), /s3cret-signing-key/, 'the secret is encrypted at rest');
});

test('prefix patterns (cron.) and a service scope choose which events notify', async (t) => {
  const h = await setup(t);
  const hook = await receiver(t);
  h.rule({ type: 'event', events: ['cron.'] }, { type: 'webhook', url: hook.url, secret: 'k'.repeat(16) }, { serviceId: h.api.serviceId });
  const engine = h.engine();
  const emit = (kind: string, serviceId: string) => h.store.events.emit({ projectId: h.projectId, environmentId: h.environmentId, serviceId, kind, severity: 'error', message: `${kind} on ${serviceId}` });
  emit('cron.failed', h.api.serviceId);
  emit('cron.missed', h.api.serviceId);
  emit('cron.failed', h.web.serviceId);
  emit('deployment.failed', h.api.serviceId);
  await waitFor(() => hook.requests.length >= 2, { timeoutMs: 5_000, what: 'two webhooks' });
  await engine.idle();
  assert.deepEqual(hook.requests.map((r) => (JSON.parse(r.body) as { kind: string }).kind).sort(), ['cron.failed', 'cron.missed']);
});

test('a failing receiver (500, 500, then 200) gets retries with growing waits; the delivery log shows the three attempts', async (t) => {
  const h = await setup(t);
  const hook = await receiver(t, [500, 500, 200]);
  const rule = h.rule({ type: 'event', events: ['service.crashed'] }, { type: 'webhook', url: hook.url, secret: 'retry-secret-123' });
  const engine = h.engine({ dispatcher: { retry: { baseMs: 100 } } });
  h.store.events.emit({ projectId: h.projectId, serviceId: h.web.serviceId, kind: 'service.crashed', severity: 'error', message: 'web crashed' });
  await waitFor(() => hook.requests.length >= 3, { timeoutMs: 10_000, what: 'three attempts' });
  await engine.idle();

  assert.equal(hook.requests.length, 3);
  const ids = new Set(hook.requests.map((r) => r.headers['x-wharf-notification']));
  assert.equal(ids.size, 1, 'every attempt carries the same notification id');
  assert.ok(hook.requests.every((r) => verify('retry-secret-123', r)));
  const gap1 = hook.requests[1]!.at - hook.requests[0]!.at;
  const gap2 = hook.requests[2]!.at - hook.requests[1]!.at;
  assert.ok(gap1 >= 90, `first wait ≈ 100 ms (was ${gap1})`);
  assert.ok(gap2 >= 190, `second wait ≈ 200 ms (was ${gap2})`);

  const log = h.store.alerts.listDeliveries({ projectId: h.projectId, ruleId: rule.id });
  assert.deepEqual(log.map((d) => [d.attempt, d.status, d.statusCode]), [[1, 'retrying', 500], [2, 'retrying', 500], [3, 'delivered', 200]]);
  assert.match(log[0]!.error ?? '', /HTTP 500: failing on purpose/);
  assert.equal(log[2]!.error, null);
  assert.ok(log.every((d) => d.durationMs >= 0 && d.target.startsWith('webhook http://127.0.0.1:')));
});

test('4xx other than 408/429 is not retried; 429 and network errors are, up to the attempt limit', async (t) => {
  const h = await setup(t);
  const bad = await receiver(t, [400]);
  const limited = await receiver(t, [429, 200]);
  // A port nobody listens on: take one, then close it.
  const dead = await new Promise<string>((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(`http://127.0.0.1:${port}/`));
    });
  });
  const r400 = h.rule({ type: 'event', events: ['x.bad'] }, { type: 'webhook', url: bad.url, secret: 'secret-400-abc' });
  const r429 = h.rule({ type: 'event', events: ['x.limited'] }, { type: 'webhook', url: limited.url, secret: 'secret-429-abc' });
  const rDead = h.rule({ type: 'event', events: ['x.dead'] }, { type: 'slack', url: dead });
  const engine = h.engine({ dispatcher: { retry: { baseMs: 10, attempts: 3 } } });
  for (const kind of ['x.bad', 'x.limited', 'x.dead']) h.store.events.emit({ projectId: h.projectId, kind, severity: 'info', message: kind });
  await waitFor(async () => {
    await engine.idle();
    return h.store.alerts.listDeliveries({ projectId: h.projectId }).length >= 6;
  }, { timeoutMs: 10_000, what: 'six attempts' });
  await engine.idle();

  const of = (id: string) => h.store.alerts.listDeliveries({ projectId: h.projectId, ruleId: id }).map((d) => [d.attempt, d.status, d.statusCode]);
  assert.deepEqual(of(r400.id), [[1, 'failed', 400]]);
  assert.equal(bad.requests.length, 1);
  assert.deepEqual(of(r429.id), [[1, 'retrying', 429], [2, 'delivered', 200]]);
  assert.deepEqual(of(rDead.id), [[1, 'retrying', null], [2, 'retrying', null], [3, 'failed', null]]);
  assert.match(h.store.alerts.listDeliveries({ projectId: h.projectId, ruleId: rDead.id })[0]!.error ?? '', /ECONNREFUSED/);
});

test('Slack- and Discord-compatible channels get their own payload shapes', async (t) => {
  const h = await setup(t);
  const slack = await receiver(t);
  const discord = await receiver(t, [204]);
  h.rule({ type: 'event', events: ['backup.'] }, { type: 'slack', url: slack.url });
  h.rule({ type: 'event', events: ['backup.'] }, { type: 'discord', url: discord.url });
  const engine = h.engine();
  h.store.events.emit({ projectId: h.projectId, environmentId: h.environmentId, serviceId: h.web.serviceId, kind: 'backup.failed', severity: 'error', message: 'pg (production): backup failed: disk full' });
  await waitFor(() => slack.requests.length === 1 && discord.requests.length === 1, { timeoutMs: 5_000, what: 'both chat webhooks' });
  await engine.idle();

  const s = JSON.parse(slack.requests[0]!.body) as { text: string; blocks: Array<{ type: string }> };
  assert.match(s.text, /backup\.failed/);
  assert.match(s.text, /backup failed: disk full/);
  assert.ok(s.blocks.some((b) => b.type === 'section'));
  assert.equal(slack.requests[0]!.headers['x-wharf-signature'], undefined, 'only the generic webhook is signed');
  const d = JSON.parse(discord.requests[0]!.body) as { content: string; embeds: Array<{ title: string; description: string; color: number; fields: Array<{ name: string; value: string }> }> };
  assert.match(d.content, /backup failed: disk full/);
  assert.equal(d.embeds[0]!.description, 'pg (production): backup failed: disk full');
  assert.ok(d.embeds[0]!.fields.some((f) => f.name === 'Service' && f.value === 'web'));
  const log = h.store.alerts.listDeliveries({ projectId: h.projectId });
  assert.deepEqual(log.map((x) => [x.channelType, x.status, x.statusCode]).sort(), [['discord', 'delivered', 204], ['slack', 'delivered', 200]]);
});

/** A MetricsReader whose averages the test sets per instance and metric. */
class FakeMetrics implements MetricsReader {
  readonly values = new Map<string, number | null>();
  readonly reads: Array<{ instanceId: string; name: MetricName; windowMs: number }> = [];

  set(instanceId: string, name: MetricName, value: number | null): void {
    this.values.set(`${instanceId}/${name}`, value);
  }

  series(): MetricPoint[] {
    return [];
  }

  average(instanceId: string, name: MetricName, windowMs: number): number | null {
    this.reads.push({ instanceId, name, windowMs });
    return this.values.get(`${instanceId}/${name}`) ?? null;
  }
}

test('a metric rule fires after staying over its threshold for the duration, survives a restart without re-firing, and resolves', async (t) => {
  const h = await setup(t);
  const hook = await receiver(t);
  const metrics = new FakeMetrics();
  let clock = Date.parse('2030-01-01T00:00:00Z');
  const now = () => clock;
  const rule = h.rule({ type: 'metric', metric: 'cpu_percent', threshold: 80, forMs: 5 * 60_000, windowMs: 60_000 }, { type: 'webhook', url: hook.url, secret: 'metric-secret-1' }, { serviceId: h.web.serviceId });
  let engine = h.engine({ metrics, now, intervalMs: 3_600_000 });
  const step = async (minutes: number, value: number | null) => {
    clock = Date.parse('2030-01-01T00:00:00Z') + minutes * 60_000;
    metrics.set(h.web.instanceId, 'cpu_percent', value);
    engine.evaluate();
    await engine.idle();
  };
  const state = () => h.store.alerts.getState(rule.id, h.web.instanceId)?.state;
  const alertEvents = () => h.store.events.list({ projectId: h.projectId, kind: 'alert.' });

  await step(0, 40);
  assert.equal(state(), 'ok');
  await step(1, 93);
  assert.equal(state(), 'pending');
  await step(4, 95);
  assert.equal(state(), 'pending', 'not yet 5 minutes over');
  await step(4.5, 70);
  assert.equal(state(), 'ok', 'dropping back resets the duration');
  await step(5, 91);
  await step(9.9, 92);
  assert.equal(state(), 'pending');
  assert.equal(hook.requests.length, 0);
  await step(10, 97.5);
  assert.equal(state(), 'firing');
  assert.equal(metrics.reads.at(-1)!.windowMs, 60_000);
  assert.ok(metrics.reads.every((r) => r.instanceId === h.web.instanceId), 'only the rule\'s service is read');
  await waitFor(() => hook.requests.length === 1, { timeoutMs: 5_000, what: 'the fired webhook' });
  const fired = JSON.parse(hook.requests[0]!.body) as { type: string; kind: string; message: string; data: { ruleId: string; value: number; threshold: number } };
  assert.equal(fired.type, 'alert');
  assert.equal(fired.kind, 'alert.fired');
  assert.equal(fired.data.ruleId, rule.id);
  assert.equal(fired.data.value, 97.5);
  assert.match(fired.message, /web \(production\): cpu is 97\.5%, over 80% for 5m/);
  assert.ok(verify('metric-secret-1', hook.requests[0]!));
  assert.deepEqual(alertEvents().map((e) => e.kind), ['alert.fired']);

  await step(11, 99);
  assert.equal(hook.requests.length, 1, 'still firing: no second notification');

  // A control-plane restart: a new engine over the same store neither re-fires nor forgets.
  await engine.stop();
  engine = h.engine({ metrics, now, intervalMs: 3_600_000 });
  await step(12, 98);
  assert.equal(state(), 'firing');
  assert.equal(hook.requests.length, 1);
  await step(13, null);
  assert.equal(state(), 'firing', 'no data is not a recovery');
  await step(14, 35);
  assert.equal(state(), 'ok');
  await waitFor(() => hook.requests.length === 2, { timeoutMs: 5_000, what: 'the resolved webhook' });
  const resolved = JSON.parse(hook.requests[1]!.body) as { kind: string; severity: string; message: string };
  assert.equal(resolved.kind, 'alert.resolved');
  assert.equal(resolved.severity, 'info');
  assert.match(resolved.message, /cpu is back to 35% \(threshold 80%\) after firing for 4m/);
  assert.deepEqual(alertEvents().map((e) => e.kind), ['alert.fired', 'alert.resolved']);
  assert.deepEqual(h.store.alerts.listDeliveries({ projectId: h.projectId, ruleId: rule.id }).map((d) => [d.kind, d.status]), [["alert.fired", "delivered"], ["alert.resolved", "delivered"]]);
});

test('the engine evaluates on its own every interval; memory thresholds are in MB', async (t) => {
  const h = await setup(t);
  const hook = await receiver(t);
  const metrics = new FakeMetrics();
  h.rule({ type: 'metric', metric: 'memory_bytes', threshold: 256, forMs: 0, windowMs: 30_000 }, { type: 'webhook', url: hook.url, secret: 'memory-secret-1' });
  metrics.set(h.web.instanceId, 'memory_bytes', 200 * 1024 * 1024);
  metrics.set(h.api.instanceId, 'memory_bytes', 300 * 1024 * 1024);
  h.engine({ metrics, intervalMs: 20 });
  await waitFor(() => hook.requests.length >= 1, { timeoutMs: 5_000, what: 'the loop to fire the rule' });
  const payload = JSON.parse(hook.requests[0]!.body) as { service: { name: string }; message: string };
  assert.equal(payload.service.name, 'api', 'only the service over 256 MB fires');
  assert.match(payload.message, /memory is 300 MB, over 256 MB/);
  const reads = metrics.reads.length;
  await waitFor(() => metrics.reads.length >= reads + 10, { timeoutMs: 5_000, what: 'five more evaluations' });
  await waitFor(async () => (await Promise.resolve(h.store.alerts.listDeliveries({ projectId: h.projectId }).length)) === 1, { timeoutMs: 5_000, what: 'the delivery record' });
  assert.equal(hook.requests.length, 1, 'evaluated again and again, fired once');
});

test('email over SMTP: the message arrives at a real SMTP server, logged in with the stored (encrypted) password', async (t) => {
  const h = await setup(t);
  const messages: Array<{ from: string; to: string[]; data: string }> = [];
  const logins: string[] = [];
  const smtp = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      logins.push(`${auth.username}:${auth.password}`);
      if (auth.username === 'alerts@shop.test' && auth.password === 'p@ss word!') callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (d: Buffer) => (data += d.toString()));
      stream.on('end', () => {
        messages.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
  const port = (smtp.server.address() as AddressInfo).port;

  const config = parseSmtpUrl(`smtp://alerts%40shop.test:p%40ss%20word!@127.0.0.1:${port}`);
  assert.deepEqual(config, { host: '127.0.0.1', port, secure: false, user: 'alerts@shop.test', password: 'p@ss word!' });
  const rule = h.rule({ type: 'event', events: ['deployment.failed'] }, { type: 'email', to: ['ops@shop.test', 'oncall@shop.test'], from: 'Wharf <alerts@shop.test>', smtp: config });
  assert.doesNotMatch(rule.channelSummary, /p@ss/);
  assert.doesNotMatch(readFileSync(h.dbFile).toString('latin1'), /p@ss word!/, 'the SMTP password is encrypted at rest');
  const engine = h.engine();
  h.store.events.emit({ projectId: h.projectId, environmentId: h.environmentId, serviceId: h.web.serviceId, kind: 'deployment.failed', severity: 'error', message: 'web (production): deployment #7 FAILED: health check timed out' });
  await waitFor(() => messages.length === 1, { timeoutMs: 10_000, what: () => `the email (logins: ${logins.join(', ')})` });
  await engine.idle();

  const [mail] = messages;
  assert.equal(mail!.from, 'alerts@shop.test');
  assert.deepEqual(mail!.to.sort(), ['ops@shop.test', 'oncall@shop.test'].sort());
  assert.match(mail!.data, /Subject: \[Wharf\] deployment\.failed/);
  assert.match(mail!.data.replace(/=\r?\n/g, ''), /deployment #7 FAILED: health check timed out/);
  const log = h.store.alerts.listDeliveries({ projectId: h.projectId, ruleId: rule.id });
  assert.deepEqual(log.map((d) => [d.channelType, d.status, d.statusCode]), [['email', 'delivered', 250]]);

  // A wrong password is refused (535): not retried.
  const wrong = h.rule({ type: 'event', events: ['x.wrong'] }, { type: 'email', to: ['ops@shop.test'], from: 'alerts@shop.test', smtp: { ...config, password: 'nope' } });
  const result = await engine.test(wrong);
  assert.equal(result.result.ok, false);
  assert.equal(result.attempts, 1);
  assert.equal(result.result.statusCode, 535);
});

test('test() sends one alert.test notification and records it', async (t) => {
  const h = await setup(t);
  const hook = await receiver(t, [503]);
  const rule = h.rule({ type: 'event', events: ['*'] }, { type: 'webhook', url: hook.url, secret: 'test-secret-12' });
  const engine = new AlertEngine({ store: h.store });
  const { result, attempts } = await engine.test(rule);
  assert.equal(result.ok, false);
  assert.equal(result.statusCode, 503);
  assert.equal(attempts, 1, 'a test is one attempt: the answer is shown at once');
  const payload = JSON.parse(hook.requests[0]!.body) as { type: string; kind: string; project: { name: string } };
  assert.deepEqual([payload.type, payload.kind, payload.project.name], ['test', 'alert.test', 'shop']);
  assert.deepEqual(h.store.alerts.listDeliveries({ projectId: h.projectId }).map((d) => [d.kind, d.status, d.statusCode]), [['alert.test', 'failed', 503]]);
});
