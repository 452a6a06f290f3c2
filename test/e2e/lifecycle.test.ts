import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeploymentView, LogLineView, ServiceStatusView } from '../../src/core/api.js';
import { copyExample, parseJson, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// Redeploy, rollback, restart, down, and the failures that must leave the old version serving.

const HOST = 'web-production-life.localhost';
let wharf: Wharf;
let dir: string;

async function version(): Promise<string> {
  const res = await wharf.get(HOST, '/');
  assert.equal(res.status, 200, res.body);
  return (JSON.parse(res.body) as { version: string }).version;
}

async function deployments(): Promise<DeploymentView[]> {
  return parseJson<DeploymentView[]>(await wharf.cli(['deployments', '--json'], { cwd: dir }));
}

before(async () => {
  wharf = await startWharf();
  dir = await copyExample('node-web', wharf.home);
  // A short health timeout keeps the failing case quick; railway.json overrides the settings.
  const railway = JSON.parse(await readFile(path.join(dir, 'railway.json'), 'utf8'));
  railway.deploy.healthcheckTimeout = 4;
  await writeFile(path.join(dir, 'railway.json'), JSON.stringify(railway));
  assert.equal((await wharf.cli(['init', '--name', 'life'], { cwd: dir })).code, 0);
  const up = await wharf.cli(['up'], { cwd: dir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
});
after(async () => {
  await wharf.cleanup();
});

test('redeploy builds again with the new variables; rollback re-activates the old build without rebuilding', async () => {
  assert.equal(await version(), '1');
  assert.equal((await wharf.cli(['variables', '--skip-deploy', '--set', 'APP_VERSION=2'], { cwd: dir })).code, 0);
  const redeploy = await wharf.cli(['redeploy'], { cwd: dir });
  assert.equal(redeploy.code, 0, redeploy.stdout + redeploy.stderr);
  assert.equal(await version(), '2');

  const rollback = await wharf.cli(['rollback'], { cwd: dir });
  assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
  assert.match(rollback.stdout, /reusing artifact/);
  assert.doesNotMatch(rollback.stdout, /==> builder/);
  assert.equal(await version(), '1', 'the rollback runs with the variables snapshot of deployment #1');

  const list = await deployments();
  assert.deepEqual(list.map((d) => [d.number, d.status, d.trigger]), [
    [3, 'ACTIVE', 'rollback'],
    [2, 'REMOVED', 'redeploy'],
    [1, 'REMOVED', 'up'],
  ]);
  assert.equal(list[0]!.rollbackOf, list[2]!.id);

  const toTwo = await wharf.cli(['rollback', '2'], { cwd: dir });
  assert.equal(toTwo.code, 0, toTwo.stderr);
  assert.equal(await version(), '2');
});

test('a deploy whose health check fails is FAILED with the reason, exits non-zero, and the old version keeps serving', async () => {
  const before = await version();
  assert.equal((await wharf.cli(['variables', '--skip-deploy', '--set', 'HEALTH_FAIL=1'], { cwd: dir })).code, 0);
  const redeploy = await wharf.cli(['redeploy'], { cwd: dir });
  assert.equal(redeploy.code, 1);
  assert.match(redeploy.stderr, /FAILED: health check \/api\/health did not answer 2xx within 4 s/);
  assert.match(redeploy.stderr, /still serving/);
  assert.equal(await version(), before);
  const [latest] = await deployments();
  assert.equal(latest!.status, 'FAILED');
  assert.match(latest!.reason ?? '', /last log lines/);
  assert.equal((await wharf.cli(['variables', '--skip-deploy', '--set', 'HEALTH_FAIL=0'], { cwd: dir })).code, 0);
});

test('a crash loop ends in CRASHED with the restart count, and the old version keeps serving', async () => {
  const before = await version();
  const set = await wharf.cli(['settings', '--set', "startCommand=node -e \"console.log('booting'); process.exit(3)\"", '--set', 'restartPolicyMaxRetries=2'], { cwd: dir });
  assert.equal(set.code, 0, set.stderr);
  const redeploy = await wharf.cli(['redeploy'], { cwd: dir });
  assert.equal(redeploy.code, 1);
  assert.match(redeploy.stderr, /CRASHED: the app exited with code 3 and crashed after 2 restart\(s\)/);
  assert.equal(await version(), before);
  const [latest] = await deployments();
  assert.equal(latest!.status, 'CRASHED');
  assert.match(latest!.reason ?? '', /booting/);
  assert.equal((await wharf.cli(['settings', '--set', 'startCommand=null', '--set', 'restartPolicyMaxRetries=10'], { cwd: dir })).code, 0);
});

test('restart replaces the replicas with fresh processes and keeps serving', async () => {
  const statusOf = async () => parseJson<ServiceStatusView[]>(await wharf.cli(['status', '--json'], { cwd: dir }))[0]!;
  const before = (await statusOf()).replicas.map((r) => r.id);
  const restart = await wharf.cli(['restart'], { cwd: dir });
  assert.equal(restart.code, 0, restart.stderr);
  const after = (await statusOf()).replicas.map((r) => r.id);
  assert.equal(after.length, 1);
  assert.notDeepEqual(after, before);
  assert.equal((await wharf.get(HOST, '/api/health')).status, 200);
});

test('logs shows runtime lines with timestamps; --build shows the build; --lines limits', async () => {
  await wharf.get(HOST, '/');
  const runtime = await wharf.cli(['logs', '--json'], { cwd: dir });
  assert.equal(runtime.code, 0, runtime.stderr);
  const lines = runtime.stdout.trim().split('\n').map((l) => JSON.parse(l) as LogLineView);
  assert.ok(lines.some((l) => /listening on port/.test(l.m)), runtime.stdout);
  assert.ok(lines.every((l) => !Number.isNaN(Date.parse(l.t))));
  const latestBuild = await wharf.cli(['logs', '--build'], { cwd: dir });
  assert.equal(latestBuild.code, 0, latestBuild.stdout + latestBuild.stderr);
  assert.match(latestBuild.stdout, /CRASHED: the app exited with code 3/, 'the latest deployment is the crashed one');
  const firstBuild = await wharf.cli(['logs', '--build', '--deployment', '1'], { cwd: dir });
  assert.equal(firstBuild.code, 0, firstBuild.stdout + firstBuild.stderr);
  assert.match(firstBuild.stdout, /==> builder NODE[\s\S]*traffic switched to deployment #1/);
  const two = await wharf.cli(['logs', '--lines', '2', '--json'], { cwd: dir });
  assert.equal(two.code, 0, two.stdout + two.stderr);
  assert.equal(two.stdout.trim().split('\n').length, 2);
  const none = await wharf.cli(['logs', '--since', '2099-01-01T00:00:00Z', '--json'], { cwd: dir });
  assert.equal(none.code, 0, none.stdout + none.stderr);
  assert.equal(none.stdout.trim(), '');
  const bad = await wharf.cli(['logs', '--since', 'yesterday-ish'], { cwd: dir });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /hint: Use e\.g\. 30s/);
});

test('down needs confirmation without a terminal; with --yes it removes the route; rollback brings it back', async () => {
  const refused = await wharf.cli(['down'], { cwd: dir });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /--yes/);
  const down = await wharf.cli(['down', '--yes'], { cwd: dir });
  assert.equal(down.code, 0, down.stderr);
  await waitFor(async () => (await wharf.get(HOST, '/')).status === 404, { timeoutMs: 5000, what: 'the route to go away' });
  const back = await wharf.cli(['rollback'], { cwd: dir });
  assert.equal(back.code, 0, back.stderr);
  assert.equal((await wharf.get(HOST, '/api/health')).status, 200);
});
