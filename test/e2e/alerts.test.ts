import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { webhookReceiver } from '../helpers/webhook-receiver.js';
import { parseJson, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// Alerts through the real CLI and server: the seed's own command line, a test notification,
// and a real crash (a web app that exits 1 after it went live, with restartPolicyMaxRetries=0)
// reaching a local webhook receiver that verifies the signature.

const SECRET = 'e2e-signing-secret-0123';

interface Payload {
  type: string;
  kind: string;
  severity: string;
  message: string;
  project: { name: string } | null;
  environment: { name: string } | null;
  service: { name: string } | null;
  deployment: { id: string; number: number } | null;
  data: Record<string, unknown>;
  at: string;
}
interface RuleView {
  id: string;
  description: string;
  service: string | null;
  environment: string | null;
  channel: { type: string; target: string };
  generatedSecret?: string;
}
interface DeliveryView {
  ruleId: string;
  kind: string;
  attempt: number;
  status: string;
  statusCode: number | null;
}

let wharf: Wharf;
let appDir: string;
const hook = webhookReceiver(SECRET);
const received = hook.received;
let hookUrl: string;
const payloads = () => received.map((r) => JSON.parse(r.body) as Payload);

// A web app that is healthy until asked to crash: GET /crash answers, then exits 1.
const SERVER_JS = `const http = require('node:http');
http.createServer((req, res) => {
  if (req.url === '/crash') {
    console.error('crashing on request');
    res.end('bye', () => process.exit(1));
    return;
  }
  res.end(req.url === '/health' ? 'ok' : 'hello');
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`;

// Burns ~80% of a core until GET /calm.
const BURNER_JS = `const http = require('node:http');
let burning = true;
setInterval(() => {
  const end = Date.now() + 80;
  while (burning && Date.now() < end);
}, 100);
http.createServer((req, res) => {
  if (req.url === '/calm') burning = false;
  res.end(burning ? 'burning' : 'calm');
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

before(async () => {
  hookUrl = await hook.listen('/wharf-hook');

  wharf = await startWharf({ WHARF_ALERTS_INTERVAL_MS: '300', WHARF_METRICS_INTERVAL_MS: '200' });
  appDir = path.join(wharf.home, 'src-crashy');
  await mkdir(appDir, { recursive: true });
  await writeFile(path.join(appDir, 'package.json'), JSON.stringify({ name: 'crashy', version: '1.0.0', private: true, scripts: { start: 'node server.js' } }, null, 2));
  await writeFile(path.join(appDir, 'server.js'), SERVER_JS);
  await writeFile(path.join(appDir, 'railway.json'), JSON.stringify({ deploy: { healthcheckPath: '/health', restartPolicyType: 'ON_FAILURE', restartPolicyMaxRetries: 0 } }, null, 2));
  const init = await wharf.cli(['init', '--name', 'alerting'], { cwd: appDir });
  assert.equal(init.code, 0, init.stderr);
});

after(async () => {
  await wharf?.cleanup();
  await hook.close();
});

test("the seed's command line works: alerts create --metric cpu --threshold 80 --webhook URL", async () => {
  const create = await wharf.cli(['alerts', 'create', '--metric', 'cpu', '--threshold', '80', '--webhook', `${hookUrl}?token=abc123`], { cwd: appDir });
  assert.equal(create.code, 0, create.stdout + create.stderr);
  assert.match(create.stdout, /Created alert alr_[0-9a-f]+: cpu > 80% \(all services \/ all environments\)/);
  assert.match(create.stdout, /Signing secret \(shown once; verify X-Wharf-Signature with it\): \S{20,}/);
  const generated = /Signing secret[^:]*: (\S+)/.exec(create.stdout)![1]!;

  const withFor = await wharf.cli(['alerts', 'create', '--metric', 'latency_p95', '--threshold', '500', '--for', '5m', '--event', 'x'], { cwd: appDir });
  assert.notEqual(withFor.code, 0, '--event and --metric conflict');
  const noChannel = await wharf.cli(['alerts', 'create', '--metric', 'cpu', '--threshold', '80'], { cwd: appDir });
  assert.equal(noChannel.code, 1);
  assert.match(noChannel.stderr, /say where to send the alert/);
  const noThreshold = await wharf.cli(['alerts', 'create', '--metric', 'cpu', '--webhook', hookUrl], { cwd: appDir });
  assert.equal(noThreshold.code, 1);
  assert.match(noThreshold.stderr, /--metric needs --threshold/);
  const unknown = await wharf.cli(['alerts', 'create', '--metric', 'disk', '--threshold', '1', '--webhook', hookUrl], { cwd: appDir });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown metric 'disk'/);

  const list = await wharf.cli(['alerts', 'list', '--json'], { cwd: appDir });
  assert.equal(list.code, 0, list.stderr);
  const rules = parseJson<RuleView[]>(list);
  assert.deepEqual(rules.map((r) => r.description), ['cpu > 80%']);
  assert.doesNotMatch(list.stdout, new RegExp(generated), 'the generated secret is never shown again');
  assert.doesNotMatch(list.stdout, /abc123/, 'nor the query string of the URL');
  const text = await wharf.cli(['alerts'], { cwd: appDir });
  assert.equal(text.code, 0, text.stdout + text.stderr);
  assert.match(text.stdout, /cpu > 80%\s+all services \/ all environments\s+webhook http:\/\/127\.0\.0\.1:\d+\/wharf-hook\?… \(signed\)\s+no data yet/);

  const del = await wharf.cli(['alerts', 'delete', rules[0]!.id], { cwd: appDir });
  assert.equal(del.code, 0, del.stderr);
  assert.match(del.stdout, /Deleted alert alr_/);
  assert.deepEqual(parseJson<RuleView[]>(await wharf.cli(['alerts', 'list', '--json'], { cwd: appDir })), []);
  const again = await wharf.cli(['alerts', 'delete', rules[0]!.id], { cwd: appDir });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /does not exist/);
});

test('email rules keep the SMTP password to themselves; a missing --smtp is explained', async () => {
  const missing = await wharf.cli(['alerts', 'create', '--event', 'deployment.failed', '--email', 'ops@example.test'], { cwd: appDir });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--email needs --smtp/);
  const create = await wharf.cli(['alerts', 'create', '--event', 'deployment.failed', '--email', 'ops@example.test,dev@example.test', '--smtp', 'smtp://mailer:hunter2-password@127.0.0.1:2525', '--from', 'wharf@example.test', '--json'], { cwd: appDir });
  assert.equal(create.code, 0, create.stderr);
  const rule = parseJson<RuleView>(create);
  assert.equal(rule.channel.target, 'email ops@example.test, dev@example.test via 127.0.0.1:2525');
  const list = await wharf.cli(['alerts', 'list', '--json'], { cwd: appDir });
  assert.equal(list.code, 0, list.stdout + list.stderr);
  assert.doesNotMatch(list.stdout + create.stdout, /hunter2/);
  assert.equal((await wharf.cli(['alerts', 'delete', rule.id], { cwd: appDir })).code, 0);
});

test('an event rule on service.crashed: a test notification, then a real crash reach the webhook, signed; the delivery log shows both', async () => {
  const create = await wharf.cli(['alerts', 'create', '--event', 'service.crashed', '--webhook', hookUrl, '--secret', SECRET, '--json'], { cwd: appDir });
  assert.equal(create.code, 0, create.stderr);
  const rule = parseJson<RuleView>(create);
  assert.equal(rule.generatedSecret, undefined, 'a given secret is not echoed');
  assert.doesNotMatch(create.stdout, new RegExp(SECRET));

  const sent = await wharf.cli(['alerts', 'test', rule.id], { cwd: appDir });
  assert.equal(sent.code, 0, sent.stdout + sent.stderr);
  assert.match(sent.stdout, /Delivered \(200\) in \d+ ms/);
  assert.equal(received.length, 1);
  assert.ok(received[0]!.valid, 'the test notification is signed with the secret');
  assert.deepEqual([payloads()[0]!.type, payloads()[0]!.kind, payloads()[0]!.project?.name], ['test', 'alert.test', 'alerting']);

  const up = await wharf.cli(['up', '--service', 'web'], { cwd: appDir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  await waitFor(async () => (await wharf.get('web-production-alerting.localhost', '/')).body === 'hello', { timeoutMs: 20_000, what: 'the app to be live' });
  assert.equal(received.length, 1, 'a successful deploy is not a crash');

  await wharf.get('web-production-alerting.localhost', '/crash').catch(() => undefined);
  await waitFor(() => received.length >= 2, { timeoutMs: 30_000, what: () => `the service.crashed webhook (server log: ${wharf.serverLog.join('').slice(-2000)})` });
  const crash = received[1]!;
  assert.ok(crash.valid, 'the crash notification verifies with the shared secret');
  const payload = payloads()[1]!;
  assert.equal(payload.type, 'event');
  assert.equal(payload.kind, 'service.crashed');
  assert.equal(payload.severity, 'error');
  assert.equal(payload.service?.name, 'web');
  assert.equal(payload.environment?.name, 'production');
  assert.equal(payload.deployment?.number, 1);
  assert.match(payload.message, /web \(production\): the app exited with code 1 after 0 restart\(s\)/);
  assert.match(String(crash.headers['x-wharf-timestamp']), /^\d+$/);

  await waitFor(async () => parseJson<DeliveryView[]>(await wharf.cli(['alerts', 'deliveries', rule.id, '--json'], { cwd: appDir })).length === 2, { timeoutMs: 5_000, what: 'two deliveries' });
  const deliveries = parseJson<DeliveryView[]>(await wharf.cli(['alerts', 'deliveries', rule.id, '--json'], { cwd: appDir }));
  assert.deepEqual(deliveries.map((d) => [d.kind, d.attempt, d.status, d.statusCode]), [['alert.test', 1, 'delivered', 200], ['service.crashed', 1, 'delivered', 200]]);
  const table = await wharf.cli(['alerts', 'deliveries'], { cwd: appDir });
  assert.equal(table.code, 0, table.stdout + table.stderr);
  assert.match(table.stdout, /TIME\s+RULE\s+KIND\s+ATTEMPT\s+STATUS\s+CODE\s+MS\s+ERROR/);
  assert.match(table.stdout, /service\.crashed\s+1\s+delivered\s+200/);

  const events = parseJson<Array<{ kind: string }>>(await wharf.cli(['events', '--json'], { cwd: appDir }));
  assert.ok(events.some((e) => e.kind === 'service.crashed'));
});

test('a CPU-burning app fires a cpu alert to the webhook (signed), and it resolves when the app calms down', async () => {
  const burnerDir = path.join(wharf.home, 'src-burner');
  await mkdir(burnerDir, { recursive: true });
  await writeFile(path.join(burnerDir, 'package.json'), JSON.stringify({ name: 'burner', version: '1.0.0', private: true, scripts: { start: 'node server.js' } }, null, 2));
  await writeFile(path.join(burnerDir, 'server.js'), BURNER_JS);
  assert.equal((await wharf.cli(['link', 'alerting'], { cwd: burnerDir })).code, 0);
  const up = await wharf.cli(['up', '--service', 'burner'], { cwd: burnerDir });
  assert.equal(up.code, 0, up.stdout + up.stderr);

  const create = await wharf.cli(['alerts', 'create', '--metric', 'cpu', '--threshold', '30', '--for', '1s', '--window', '2s', '--service', 'burner', '--webhook', hookUrl, '--secret', SECRET, '--json'], { cwd: burnerDir });
  assert.equal(create.code, 0, create.stderr);
  const rule = parseJson<RuleView>(create);
  assert.equal(rule.service, 'burner');
  const alertPayloads = () => payloads().filter((p) => p.kind.startsWith('alert.') && p.data.ruleId === rule.id);

  await waitFor(() => alertPayloads().some((p) => p.kind === 'alert.fired'), { timeoutMs: 30_000, what: () => `alert.fired (received: ${JSON.stringify(payloads().map((p) => p.kind))})` });
  const fired = alertPayloads().find((p) => p.kind === 'alert.fired')!;
  assert.equal(fired.type, 'alert');
  assert.equal(fired.service?.name, 'burner');
  assert.ok(Number(fired.data.value) > 30, JSON.stringify(fired.data));
  assert.match(fired.message, /burner \(production\): cpu is [\d.]+%, over 30% for \d/);
  assert.ok(received.filter((r) => (JSON.parse(r.body) as Payload).kind === 'alert.fired').every((r) => r.valid));
  const listed = await wharf.cli(['alerts', 'list'], { cwd: burnerDir });
  assert.equal(listed.code, 0, listed.stdout + listed.stderr);
  assert.match(listed.stdout, /FIRING: burner \(production\)/);

  await wharf.get('burner-production-alerting.localhost', '/calm');
  await waitFor(() => alertPayloads().some((p) => p.kind === 'alert.resolved'), { timeoutMs: 30_000, what: 'alert.resolved' });
  assert.equal(alertPayloads().filter((p) => p.kind === 'alert.fired').length, 1, 'fired once');
  const events = parseJson<Array<{ kind: string }>>(await wharf.cli(['events', '--kind', 'alert.', '--json'], { cwd: burnerDir }));
  assert.deepEqual(events.map((e) => e.kind), ['alert.fired', 'alert.resolved']);
});
