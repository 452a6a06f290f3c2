import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { webhookReceiver } from '../helpers/webhook-receiver.js';
import { parseJson, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// Backup-age and certificate rules through the real CLI and server, to a local webhook receiver
// that verifies the signature: a real Redis without backups (fires) then backed up (resolves);
// a real TLS server on 127.0.0.1 with a certificate made now by openssl that expires in 3 days
// (fires, "not trusted": self-signed), renewed for 90 days (resolves), then gone (fires again).

const SECRET = 'e2e-checks-secret-0123';

interface Payload {
  type: string;
  kind: string;
  severity: string;
  message: string;
  project: { name: string } | null;
  service: { name: string } | null;
  data: Record<string, unknown>;
}
interface RuleView {
  id: string;
  description: string;
  condition: Record<string, unknown>;
  states: Array<{ service: string; state: string; lastValue: number | null }>;
  targets: Array<{ target: string; state: string; daysLeft: number | null; detail: string | null }>;
}

let wharf: Wharf;
let dir: string;
const hook = webhookReceiver(SECRET);
let hookUrl: string;
const forRule = (id: string) =>
  hook.received.map((r) => ({ payload: JSON.parse(r.body) as Payload, valid: r.valid })).filter((r) => r.payload.data.ruleId === id);

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 30_000 }, (error, _stdout, stderr) => (error ? reject(new Error(`openssl ${args[0]}: ${stderr || error.message}`)) : resolve()));
  });
}

/** A self-signed certificate for 127.0.0.1 valid for `days` days from now. */
async function certificate(name: string, days: number): Promise<{ key: Buffer; cert: Buffer }> {
  const at = path.join(wharf.home, 'tls');
  await mkdir(at, { recursive: true });
  await openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', String(days), '-subj', '/CN=wharf-e2e', '-addext', 'subjectAltName=IP:127.0.0.1'],
    at,
  );
  return { key: await readFile(path.join(at, `${name}.key`)), cert: await readFile(path.join(at, `${name}.crt`)) };
}

before(async () => {
  hookUrl = await hook.listen();
  wharf = await startWharf({ WHARF_ALERTS_INTERVAL_MS: '300', WHARF_CERT_CHECK_INTERVAL_MS: '500' });
  dir = path.join(wharf.home, 'app');
  await mkdir(dir);
  const init = await wharf.cli(['init', '--name', 'checks'], { cwd: dir });
  assert.equal(init.code, 0, init.stderr);
});

after(async () => {
  await wharf?.cleanup();
  await hook.close();
});

const cli = (args: string[]) => wharf.cli(args, { cwd: dir });
const rules = async () => parseJson<RuleView[]>(await cli(['alerts', 'list', '--json']));

test('the new flags are checked at the boundary, with the next step named', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--certificate', 'not a host', '--webhook', hookUrl], /'not a host' is not a host or host:port/],
    [['--certificate', 'api.example.com:99999', '--webhook', hookUrl], /is not a host or host:port/],
    [['--days', '14', '--backup-age', '26h', '--webhook', hookUrl], /--days goes with --certificate/],
    [['--certificate', 'api.example.com', '--days', 'soon', '--webhook', hookUrl], /--days must be a whole number/],
    [['--certificate', 'api.example.com', '--backup-age', '1h', '--webhook', hookUrl], /one condition per rule, not --backup-age and --certificate/],
    [['--certificate', 'api.example.com', '--service', 'web', '--webhook', hookUrl], /watches an endpoint, not a service/],
    [['--database', 'db', '--event', 'backup.failed', '--webhook', hookUrl], /--database goes with --backup-age/],
    [['--backup-age', 'a day', '--webhook', hookUrl], /'a day' is not a duration/],
    [['--backup-age', '10s', '--webhook', hookUrl], /too short to watch/],
    [['--backup-age', '26h', '--database', 'nope', '--webhook', hookUrl], /database 'nope' does not exist in project 'checks'/],
  ];
  for (const [args, message] of cases) {
    const res = await cli(['alerts', 'create', ...args]);
    assert.equal(res.code, 1, `${args.join(' ')}: ${res.stdout}`);
    assert.match(res.stderr, message, args.join(' '));
  }
  assert.deepEqual(await rules(), []);
});

test('a backup-age rule fires for a database without backups and resolves when a backup lands', async () => {
  const add = await cli(['add', 'redis', '--name', 'cache']);
  assert.equal(add.code, 0, add.stdout + add.stderr);
  const create = await cli(['alerts', 'create', '--backup-age', '26h', '--database', 'cache', '--webhook', hookUrl, '--secret', SECRET, '--json']);
  assert.equal(create.code, 0, create.stderr);
  const rule = parseJson<RuleView>(create);
  assert.equal(rule.description, 'newest backup older than 26h');
  assert.deepEqual(rule.condition, { type: 'backup_age', maxAge: '26h', maxAgeMs: 26 * 3_600_000 });

  await waitFor(() => forRule(rule.id).length >= 1, { timeoutMs: 20_000, what: () => `the fired alert (server log ${wharf.serverLog.join('').slice(-1500)})` });
  const fired = forRule(rule.id)[0]!;
  assert.ok(fired.valid, 'signed with the secret');
  assert.deepEqual([fired.payload.type, fired.payload.kind, fired.payload.severity, fired.payload.service?.name], ['alert', 'alert.fired', 'warning', 'cache']);
  assert.match(fired.payload.message, /^cache \(production\): no successful backup yet; the newest must be under 26h old \(alert alr_[0-9a-f]+\)$/);
  const listed = await cli(['alerts', 'list']);
  assert.equal(listed.code, 0, listed.stdout + listed.stderr);
  assert.match(listed.stdout, /newest backup older than 26h\s+cache \/ all environments\s+webhook .*FIRING: cache \(production\)/);

  const backup = await cli(['db', 'backup', 'cache', '--json']);
  assert.equal(backup.code, 0, backup.stderr);
  const backupId = parseJson<{ id: string }>(backup).id;
  await waitFor(() => forRule(rule.id).length >= 2, { timeoutMs: 20_000, what: 'the resolved alert' });
  const resolved = forRule(rule.id)[1]!;
  assert.ok(resolved.valid);
  assert.equal(resolved.payload.kind, 'alert.resolved');
  assert.match(resolved.payload.message, new RegExp(`^cache \\(production\\): backup ${backupId} landed \\d+s ago, under 26h again after \\d+s \\(alert ${rule.id}\\)$`));
  const state = (await rules()).find((r) => r.id === rule.id)!.states;
  assert.deepEqual(state.map((s) => [s.service, s.state]), [['cache', 'ok']]);
  assert.ok(state[0]!.lastValue !== null && state[0]!.lastValue < 0.1, 'the age of the newest backup, in hours');
  assert.equal((await cli(['alerts', 'delete', rule.id])).code, 0);
});

test('a certificate rule fires for a certificate about to expire, resolves when it is renewed, fires when the handshake fails', async () => {
  const soon = await certificate('soon', 3);
  const server = tls.createServer({ key: soon.key, cert: soon.cert }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed = false;
  const close = () =>
    closed
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          closed = true;
          server.close(() => resolve());
        });
  try {
    const create = await cli(['alerts', 'create', '--certificate', endpoint, '--days', '14', '--webhook', hookUrl, '--secret', SECRET, '--json']);
    assert.equal(create.code, 0, create.stderr);
    const rule = parseJson<RuleView>(create);
    assert.equal(rule.description, `certificate of ${endpoint} expires in < 14 days`);

    await waitFor(() => forRule(rule.id).length >= 1, { timeoutMs: 20_000, what: () => `the fired alert (server log ${wharf.serverLog.join('').slice(-1500)})` });
    const fired = forRule(rule.id)[0]!;
    assert.ok(fired.valid, 'signed with the secret');
    assert.deepEqual([fired.payload.type, fired.payload.kind, fired.payload.project?.name, fired.payload.service], ['alert', 'alert.fired', 'checks', null]);
    assert.match(fired.payload.message, new RegExp(`^certificate of ${endpoint} expires in 2d 23h \\(\\d{4}-\\d\\d-\\d\\d\\), fewer than 14 days left; not trusted: self-signed certificate \\(alert ${rule.id}\\)$`));
    assert.equal(fired.payload.data.trusted, false);
    assert.ok(Number(fired.payload.data.daysLeft) > 2.9 && Number(fired.payload.data.daysLeft) <= 3, String(fired.payload.data.daysLeft));
    const listed = await cli(['alerts', 'list']);
    assert.equal(listed.code, 0, listed.stdout + listed.stderr);
    assert.match(listed.stdout, new RegExp(`the project\\s+webhook .*FIRING: ${endpoint} expires in 2d 23h`));

    const renewed = await certificate('renewed', 90);
    server.setSecureContext({ key: renewed.key, cert: renewed.cert });
    await waitFor(() => forRule(rule.id).length >= 2, { timeoutMs: 20_000, what: 'the resolved alert' });
    const resolved = forRule(rule.id)[1]!;
    assert.ok(resolved.valid);
    assert.equal(resolved.payload.kind, 'alert.resolved');
    assert.match(resolved.payload.message, new RegExp(`^certificate of ${endpoint} is valid for 89 more days, until \\d{4}-\\d\\d-\\d\\d; not trusted: self-signed certificate \\(alert ${rule.id}\\)$`));
    const target = (await rules()).find((r) => r.id === rule.id)!.targets;
    assert.deepEqual(target.map((t) => [t.target, t.state]), [[endpoint, 'ok']]);

    await close();
    await waitFor(() => forRule(rule.id).length >= 3, { timeoutMs: 20_000, what: 'the alert for the failed handshake' });
    const gone = forRule(rule.id)[2]!;
    assert.equal(gone.payload.kind, 'alert.fired');
    assert.match(gone.payload.message, new RegExp(`^certificate of ${endpoint} could not be checked: the TLS handshake failed: .*ECONNREFUSED.* \\(alert ${rule.id}\\)$`));
    assert.equal((await cli(['alerts', 'delete', rule.id])).code, 0);
  } finally {
    await close();
  }
});
