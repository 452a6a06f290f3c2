import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServiceStatusView } from '../../src/core/api.js';
import { webhookReceiver } from '../helpers/webhook-receiver.js';
import { parseJson, REPO, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// A replica whose health path turns to 503 after it went live (seed 000: "503 = unhealthy"):
// it leaves the routing set while its sibling serves, its restarts follow the restart policy
// (a restarted run that never answers 2xx counts as failing, it does not sit in `starting`),
// service.unhealthy and service.crashed reach an alert's webhook, and `wharf status` shows it.

const SECRET = 'unhealthy-signing-secret-01';

interface Payload {
  kind: string;
  severity: string;
  message: string;
  service: { name: string } | null;
  data: Record<string, unknown>;
}
interface EventView {
  kind: string;
  message: string;
  data: Record<string, unknown>;
}

let wharf: Wharf;
let appDir: string;
let host: string;
let flagDir: string;
const hook = webhookReceiver(SECRET);
const payloads = () => hook.received.map((r) => JSON.parse(r.body) as Payload);

async function status(): Promise<ServiceStatusView> {
  const res = await wharf.cli(['status', '--json'], { cwd: appDir });
  assert.equal(res.code, 0, res.stderr);
  return parseJson<ServiceStatusView[]>(res).find((s) => s.service === 'web')!;
}

/** Which replicas answered `count` requests in a row through the router. */
async function answering(count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const res = await wharf.get(host, '/');
    seen.add(res.status === 200 ? res.body.replace(/^hi from /, '') : `HTTP ${res.status}`);
  }
  return seen;
}

before(async () => {
  const hookUrl = await hook.listen('/hook');
  wharf = await startWharf();
  // Outside WHARF_HOME and readable by anyone, whichever user the app runs as.
  flagDir = await mkdtemp(path.join(os.tmpdir(), 'wharf-flags-'));
  await chmod(flagDir, 0o755);
  appDir = path.join(wharf.home, 'src-sick');
  await mkdir(appDir, { recursive: true });
  await copyFile(path.join(REPO, 'test/fixtures/app-turns-unhealthy.js'), path.join(appDir, 'app.mjs'));
  const start = `UNHEALTHY_FILE=${path.join(flagDir, 'sick')} node app.mjs`;
  await writeFile(path.join(appDir, 'package.json'), JSON.stringify({ name: 'sick', version: '1.0.0', private: true, scripts: { start } }, null, 2));
  await writeFile(
    path.join(appDir, 'railway.json'),
    JSON.stringify({ deploy: { healthcheckPath: '/health', healthcheckTimeout: 10, restartPolicyType: 'ON_FAILURE', restartPolicyMaxRetries: 1 } }, null, 2),
  );
  assert.equal((await wharf.cli(['init', '--name', 'sick'], { cwd: appDir })).code, 0);
  const up = await wharf.cli(['up', '--service', 'web'], { cwd: appDir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  const set = await wharf.cli(['settings', '-s', 'web', '--set', 'numReplicas=2', '--set', 'livenessIntervalSeconds=0.5', '--set', 'livenessFailureThreshold=2'], { cwd: appDir });
  assert.equal(set.code, 0, set.stdout + set.stderr);
  const redeploy = await wharf.cli(['redeploy', '-s', 'web'], { cwd: appDir });
  assert.equal(redeploy.code, 0, redeploy.stdout + redeploy.stderr);
  const alert = await wharf.cli(['alerts', 'create', '--event', 'service.unhealthy,service.crashed', '--webhook', hookUrl, '--secret', SECRET], { cwd: appDir });
  assert.equal(alert.code, 0, alert.stdout + alert.stderr);
});

after(async () => {
  await wharf?.cleanup();
  await hook.close();
  if (flagDir) await rm(flagDir, { recursive: true, force: true });
});

test('a replica that turns unhealthy leaves the routing set, is restarted by its policy, then crashes; the events reach the webhook and status shows it', async () => {
  await waitFor(async () => (await status()).replicas.filter((r) => r.routed && r.state === 'running').length === 2, { timeoutMs: 15_000, what: 'two running replicas' });
  host = (await status()).host;
  const [sick, healthy] = (await status()).replicas.filter((r) => r.routed);
  assert.deepEqual(await answering(8), new Set([sick!.id, healthy!.id]), 'both replicas serve while healthy');

  await writeFile(path.join(flagDir, `sick.${sick!.id}`), '');

  // Out of the routing set once it is unhealthy; its sibling answers everything.
  await waitFor(async () => (await status()).replicas.find((r) => r.id === sick!.id)?.unhealthySince != null, { timeoutMs: 15_000, what: 'the replica to be seen unhealthy' });
  await waitFor(async () => {
    const seen = await answering(10);
    return seen.size === 1 && seen.has(healthy!.id);
  }, { timeoutMs: 10_000, what: 'only the healthy replica to answer' });
  let shown = '';
  await waitFor(async () => {
    const text = await wharf.cli(['status'], { cwd: appDir });
    shown = text.stdout + text.stderr;
    return text.code === 0 && /1\/2 \(1 unhealthy/.test(text.stdout);
  }, { timeoutMs: 10_000, what: () => `\`wharf status\` to show the unhealthy replica (last: ${shown})` });
  await waitFor(() => payloads().some((p) => p.kind === 'service.unhealthy'), { timeoutMs: 15_000, what: () => `service.unhealthy at the webhook (got ${JSON.stringify(payloads().map((p) => p.kind))})` });
  const unhealthy = payloads().find((p) => p.kind === 'service.unhealthy')!;
  assert.equal(unhealthy.severity, 'warning');
  assert.equal(unhealthy.service?.name, 'web');
  assert.equal(unhealthy.data.replica, sick!.id);
  assert.match(unhealthy.message, /web \(production\): replica rep_\w+ is unhealthy: liveness probe failed 2 times \(last: HTTP 503\)/);
  assert.ok(hook.received.every((r) => r.valid), 'every delivery is signed');

  // The restarted run keeps answering 503: its failures count after healthcheckTimeout, so
  // ON_FAILURE with one retry gives up instead of leaving it in `starting` forever.
  let replicas: unknown;
  await waitFor(async () => {
    const now = (await status()).replicas;
    replicas = now;
    return now.find((r) => r.id === sick!.id)?.state === 'crashed';
  }, { timeoutMs: 60_000, what: () => `the sick replica to end crashed (replicas: ${JSON.stringify(replicas)})` });
  await waitFor(() => payloads().some((p) => p.kind === 'service.crashed'), { timeoutMs: 15_000, what: 'service.crashed at the webhook' });
  const crashed = payloads().find((p) => p.kind === 'service.crashed')!;
  assert.equal(crashed.data.replica, sick!.id);
  assert.match(crashed.message, /replica rep_\w+ crashed: liveness probe failed 2 times .*after 1 restart\(s\); the restart policy gave up; 1 of 2 replica\(s\) still serve/);
  assert.equal(payloads().filter((p) => p.kind === 'service.unhealthy').length, 1, 'one unhealthy episode, one event');

  const now = await status();
  assert.equal(now.activeDeployment?.status, 'ACTIVE', 'its sibling still serves the deployment');
  const text = await wharf.cli(['status'], { cwd: appDir });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /1\/2 \(1 crashed, 1 restarts\)/);
  const seen = await answering(6);
  assert.deepEqual(seen, new Set([healthy!.id]));

  const log = await wharf.cli(['logs', '-s', 'web', '--json'], { cwd: appDir });
  assert.equal(log.code, 0, log.stderr);
  const lines = log.stdout.trim().split('\n').map((l) => JSON.parse(l) as { m: string; replica?: string });
  const restartAt = lines.findIndex((l) => /^restarting in \d+ ms \(restart 1 of 1\)/.test(l.m));
  assert.ok(restartAt >= 0, 'the liveness restart is logged');
  assert.ok(lines.slice(restartAt).some((l) => /liveness probe failed \(1 of 2\)/.test(l.m)), 'the restarted run is probed and its failures count');

  const events = parseJson<EventView[]>(await wharf.cli(['events', '--json'], { cwd: appDir }));
  assert.ok(events.some((e) => e.kind === 'service.unhealthy'));
  assert.ok(events.some((e) => e.kind === 'service.crashed'));
});
