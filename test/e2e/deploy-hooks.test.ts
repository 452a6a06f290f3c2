import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeploymentView, LogLineView, ServiceStatusView } from '../../src/core/api.js';
import { parseJson, REPO, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// What runs around a deployment: the pre-deploy command (migrations, Procfile `release:`),
// post-deploy checks before and after the traffic switch, and one-off commands in the live
// build (`wharf run --remote`, `wharf exec`). Fixture: test/fixtures/hooks-app.

// Hosts carry the project, so the Procfile project's `web` does not collide with this one's.
const HOST = 'web-hooks.localhost';
let wharf: Wharf;
let dir: string;
let migrationLog: string;

async function copyFixture(name: string): Promise<string> {
  const target = path.join(wharf.home, `src-${name}-${Math.random().toString(36).slice(2, 8)}`);
  await cp(path.join(REPO, 'test/fixtures/hooks-app'), target, { recursive: true });
  return target;
}

async function served(host = HOST): Promise<string> {
  const res = await wharf.get(host, '/');
  assert.equal(res.status, 200, res.body);
  return res.body;
}

async function deployments(cwd = dir, service?: string): Promise<DeploymentView[]> {
  return parseJson<DeploymentView[]>(await wharf.cli(['deployments', '--json', ...(service ? ['-s', service] : [])], { cwd }));
}

/** [number, status] of the given deployments, newest first. */
async function statuses(...numbers: number[]): Promise<Array<[number, string]>> {
  const list = await deployments();
  return numbers.map((n) => [n, list.find((d) => d.number === n)?.status ?? 'missing']);
}

async function migrations(file = migrationLog): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function buildLog(cwd: string, deployment?: number, service?: string): Promise<string[]> {
  const result = await wharf.cli(['logs', '--build', '--json', ...(deployment ? ['--deployment', String(deployment)] : []), ...(service ? ['-s', service] : [])], { cwd });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as LogLineView).m);
}

async function cli(args: string[], cwd = dir) {
  const result = await wharf.cli(args, { cwd });
  assert.equal(result.code, 0, `wharf ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  return result;
}

before(async () => {
  wharf = await startWharf({ WHARF_HOST_PATTERN: '{service}-{project}.{base}' });
  dir = await copyFixture('hooks');
  migrationLog = path.join(wharf.outbox, 'migrations.log');
  await writeFile(migrationLog, '', { mode: 0o666 });
  await chmod(migrationLog, 0o666);
  await cli(['init', '--name', 'hooks']);
  await cli(['up']);
  assert.equal(await served(), 'unset');
  await cli(['variables', '--skip-deploy', '--set', 'APP_VERSION=v1', '--set', `MIGRATION_LOG=${migrationLog}`, '--set', 'MIGRATE_EXIT=0']);
});
after(async () => {
  await wharf.cleanup();
});

test('preDeployCommand runs once per deploy, before the replicas start; a failing one fails the deploy and the old version keeps serving; rollback does not run it', async () => {
  await cli(['settings', '--set', 'preDeployCommand=node migrate.js']);
  const up2 = await cli(['redeploy']);
  assert.match(up2.stdout, /==> pre-deploy: node migrate\.js/, 'the redeploy streams the pre-deploy step');
  assert.equal(await served(), 'v1');
  const [two] = await deployments();
  assert.deepEqual([two!.number, two!.status], [2, 'ACTIVE']);
  assert.deepEqual(await migrations(), [`${two!.id} v1`], 'one migration for deployment #2');

  // Before the replicas: the pre-deploy lines come before "starting 1 replica(s)" in the build log.
  const log = await buildLog(dir);
  const pre = log.findIndex((m) => m === '==> pre-deploy: node migrate.js');
  const output = log.findIndex((m) => m.includes('| migrating for v1'));
  const finished = log.findIndex((m) => /^==> pre-deploy finished in/.test(m));
  const starting = log.findIndex((m) => /^starting 1 replica/.test(m));
  assert.ok(pre >= 0 && output > pre && finished > output && starting > finished, log.join('\n'));

  await cli(['variables', '--skip-deploy', '--set', 'APP_VERSION=v2']);
  await cli(['redeploy']);
  assert.equal(await served(), 'v2');
  const [three] = await deployments();
  assert.deepEqual(await migrations(), [`${two!.id} v1`, `${three!.id} v2`], 'exactly one more line for deployment #3');

  // A failing migration: FAILED, exit 1, v2 keeps serving, no replica of #4 ever ran.
  await cli(['variables', '--skip-deploy', '--set', 'MIGRATE_EXIT=3', '--set', 'APP_VERSION=v3']);
  const failed = await wharf.cli(['redeploy'], { cwd: dir });
  assert.equal(failed.code, 1, failed.stdout + failed.stderr);
  assert.match(failed.stderr, /FAILED: the pre-deploy command exited with code 3/);
  assert.match(failed.stderr, /still serving/);
  assert.equal(await served(), 'v2');
  const [four, stillThree] = await deployments();
  assert.deepEqual([four!.number, four!.status, stillThree!.status], [4, 'FAILED', 'ACTIVE']);
  assert.match(four!.reason ?? '', /pre-deploy command exited with code 3/);
  assert.match(four!.reason ?? '', /migration failed with code 3/, 'the reason carries the last lines');
  assert.equal((await migrations()).length, 3, 'it ran (once) and failed');
  const status = parseJson<ServiceStatusView[]>(await wharf.cli(['status', '--json'], { cwd: dir }))[0]!;
  assert.ok(status.replicas.every((r) => r.deploymentId === stillThree!.id), JSON.stringify(status.replicas));
  const preLog = await wharf.cli(['logs', '--deployment', '4', '--json'], { cwd: dir });
  assert.equal(preLog.code, 0, preLog.stdout + preLog.stderr);
  const preLines = preLog.stdout.trim().split('\n').map((l) => JSON.parse(l) as LogLineView);
  assert.ok(preLines.some((l) => l.s === 'out' && l.m === 'migrating for v3'), preLog.stdout);
  assert.ok(preLines.some((l) => l.s === 'err' && l.m === 'migration failed with code 3'), preLog.stdout);
  await cli(['variables', '--skip-deploy', '--set', 'MIGRATE_EXIT=0']);

  // Rollback to #2: no migration runs again.
  const rollback = await cli(['rollback']);
  assert.doesNotMatch(rollback.stdout, /pre-deploy/);
  assert.equal(await served(), 'v1');
  const [five] = await deployments();
  assert.deepEqual([five!.number, five!.status, five!.trigger, five!.rollbackOf], [5, 'ACTIVE', 'rollback', two!.id]);
  assert.equal((await migrations()).length, 3, 'the rollback ran no migration');
  assert.ok(!(await buildLog(dir, 5)).some((m) => /pre-deploy/.test(m)));
  await cli(['settings', '--set', 'preDeployCommand=null']);
});

test('a Procfile release: line is the pre-deploy command', async () => {
  const procDir = await copyFixture('procfile');
  const procLog = path.join(wharf.outbox, 'procfile-migrations.log');
  // Two services append to it, each as its own user: a file they may all write.
  await writeFile(procLog, '', { mode: 0o666 });
  await chmod(procLog, 0o666);
  const release = `MIGRATION_LOG=${procLog} node migrate.js`;
  await writeFile(path.join(procDir, 'Procfile'), `web: node server.js\nrelease: ${release}\n`);
  await cli(['init', '--name', 'proc'], procDir);
  const up = await cli(['up'], procDir);
  assert.match(up.stdout, new RegExp(`==> pre-deploy: ${release.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  assert.equal(await served('web-proc.localhost'), 'unset');
  const [one] = await deployments(procDir, 'web');
  assert.equal(one!.status, 'ACTIVE');
  assert.deepEqual(await migrations(procLog), [`${one!.id} unset`]);
  const log = await buildLog(procDir, undefined, 'web');
  const pre = log.findIndex((m) => m.startsWith('==> pre-deploy:'));
  const starting = log.findIndex((m) => /^starting 1 replica/.test(m));
  assert.ok(pre >= 0 && starting > pre, log.join('\n'));

  await cli(['redeploy', '-s', 'web'], procDir);
  assert.equal((await migrations(procLog)).length, 2, 'once more for the redeploy');
  await cli(['down', '--yes', '-s', 'web'], procDir);

  // Deployed as a plain service (--service outside the Procfile), the Procfile builder's
  // release process is the pre-deploy command just the same.
  const single = await cli(['up', '--service', 'relsvc'], procDir);
  assert.match(single.stdout, /==> builder PROCFILE/);
  assert.match(single.stdout, /==> pre-deploy: MIGRATION_LOG=/);
  const [relsvc] = await deployments(procDir, 'relsvc');
  assert.equal(relsvc!.status, 'ACTIVE');
  assert.deepEqual((await migrations(procLog)).slice(2), [`${relsvc!.id} unset`]);
  await cli(['down', '--yes', '-s', 'relsvc'], procDir);
});

test('post-deploy checks: a failing before-switch check leaves the old version; a passing one goes live; an after-switch failure moves traffic back', async () => {
  // Live now: #5 serving v1.
  await cli(['variables', '--skip-deploy', '--set', 'APP_VERSION=v3']);
  await cli(['settings', '--set', 'postDeployChecks=[{"type":"http","path":"/","bodyContains":"v2"}]']);
  const before = await wharf.cli(['redeploy'], { cwd: dir });
  assert.equal(before.code, 1, before.stdout + before.stderr);
  assert.match(before.stderr, /FAILED: post-deploy check 'GET \/': the body does not contain 'v2'/);
  assert.equal(await served(), 'v1');
  let [latest, previous] = await deployments();
  assert.deepEqual([latest!.number, latest!.status, previous!.status], [6, 'FAILED', 'ACTIVE']);
  assert.match(latest!.reason ?? '', /post-deploy check 'GET \/'/);
  assert.doesNotMatch(before.stdout, /traffic switched to deployment #6/, 'traffic never moved');

  await cli(['variables', '--skip-deploy', '--set', 'APP_VERSION=v2']);
  const passing = await cli(['redeploy']);
  assert.match(passing.stdout, /check passed: GET \//);
  assert.equal(await served(), 'v2');
  [latest] = await deployments();
  assert.deepEqual([latest!.number, latest!.status], [7, 'ACTIVE']);

  // After the switch: the check goes through the router; failing, it moves traffic back.
  await cli(['variables', '--skip-deploy', '--set', 'APP_VERSION=v4']);
  await cli(['settings', '--set', 'postDeployChecks=[{"type":"http","path":"/","bodyContains":"v2","phase":"after-switch"}]']);
  const afterSwitch = await wharf.cli(['redeploy'], { cwd: dir });
  assert.equal(afterSwitch.code, 1, afterSwitch.stdout + afterSwitch.stderr);
  assert.match(afterSwitch.stdout, /traffic switched to deployment #8[\s\S]*traffic moved back to the previous deployment/);
  assert.match(afterSwitch.stderr, /post-deploy check 'GET \/': the body does not contain 'v2'/);
  assert.equal(await served(), 'v2');
  assert.deepEqual(await statuses(8, 7), [[8, 'FAILED'], [7, 'ACTIVE']]);
  const seven = (await deployments()).find((d) => d.number === 7)!;
  let status = parseJson<ServiceStatusView[]>(await wharf.cli(['status', '--json'], { cwd: dir }))[0]!;
  assert.equal(status.activeDeployment?.number, 7);
  await waitFor(
    async () => {
      status = parseJson<ServiceStatusView[]>(await wharf.cli(['status', '--json'], { cwd: dir }))[0]!;
      return status.replicas.length > 0 && status.replicas.every((r) => r.deploymentId === seven.id);
    },
    { timeoutMs: 15_000, what: () => `only #7's replicas left (${JSON.stringify(status.replicas)})` },
  );

  // A command check after the switch (check.js through the router) rolls back the same way.
  await cli(['variables', '--skip-deploy', '--set', 'APP_VERSION=v5', '--set', 'EXPECT=v2']);
  await cli(['settings', '--set', 'postDeployChecks=[{"type":"command","command":"node check.js","phase":"after-switch"}]']);
  const command = await wharf.cli(['redeploy'], { cwd: dir });
  assert.equal(command.code, 1, command.stdout + command.stderr);
  assert.match(command.stderr, /post-deploy check 'node check\.js' exited with code 1/);
  assert.match(command.stderr, /"v5" lacks v2/, 'the check saw the new version through the router');
  assert.equal(await served(), 'v2');
  assert.deepEqual(await statuses(9, 8, 7), [[9, 'FAILED'], [8, 'FAILED'], [7, 'ACTIVE']]);

  // The same command check passes when the new version is what it expects.
  await cli(['variables', '--skip-deploy', '--set', 'EXPECT=v5']);
  const ok = await cli(['redeploy']);
  assert.match(ok.stdout, /check passed: node check\.js/);
  assert.equal(await served(), 'v5');
  assert.deepEqual(await statuses(10, 7), [[10, 'ACTIVE'], [7, 'REMOVED']]);
  await cli(['settings', '--set', 'postDeployChecks=[]']);
});

test('run --remote and exec run in the live build with its variables, pass the exit code and stderr, and redact secrets', async () => {
  const live = await served();
  const run = await wharf.cli(['run', '--remote', '--', 'node', '-e', 'console.log(process.env.APP_VERSION); process.exit(4)'], { cwd: dir });
  assert.equal(run.code, 4, run.stdout + run.stderr);
  assert.equal(run.stdout.trim(), live);

  const exec = await wharf.cli(['exec', '--', 'node', '-e', "console.error('to-stderr')"], { cwd: dir });
  assert.equal(exec.code, 0, exec.stdout + exec.stderr);
  assert.match(exec.stderr, /^to-stderr$/m);
  assert.doesNotMatch(exec.stdout, /to-stderr/);

  await cli(['variables', '--secret', '--skip-deploy', '--set', 'API_KEY=hunter2-very-secret']);
  await cli(['redeploy']);
  const secret = await wharf.cli(['run', '--remote', '--', 'node', '-e', "console.log('key=' + process.env.API_KEY)"], { cwd: dir });
  assert.equal(secret.code, 0, secret.stdout + secret.stderr);
  assert.equal(secret.stdout.trim(), 'key=[secret:API_KEY]');
  assert.doesNotMatch(secret.stdout + secret.stderr, /hunter2/);
});
