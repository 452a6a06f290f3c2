import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DeploymentView, LogLineView, ServiceStatusView, VariableView } from '../../src/core/api.js';
import { freePort } from '../../src/server/ports.js';
import { copyExample, httpRequest, parseJson, REPO, runCli, startWharf, succeeded, waitFor, type Wharf } from '../helpers/wharf.js';

// Config as code end to end: wharf.toml (examples/multi-service) with `wharf up`, `plan` and
// `apply`; an invalid file that must change nothing; a render.yaml and a multi-process
// Procfile deployed unchanged; `validate` and `import` without a server.

/** The default host: `<service>-<environment>-<project>.localhost`. */
const host = (service: string, project: string, environment = 'production') => `${service}-${environment}-${project}.localhost`;
const WEB = host('web', 'ms');
const WEB_STAGING = host('web', 'ms', 'staging');
const WORKER = host('worker', 'ms');

interface WebView {
  service: string;
  environment: string;
  greeting: string;
  workerService: string;
  hasSessionSecret: boolean;
  heartbeats: { count: number; last: string | null; from: string | null };
}

interface PlanJson {
  file: string;
  changes: Array<{ action: string; target: string; before?: string; after?: string }>;
  warnings: string[];
}

let wharf: Wharf;
let dir: string;

async function webView(host: string, on: Wharf = wharf): Promise<WebView> {
  const res = await on.get(host, '/');
  assert.equal(res.status, 200, `${host}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as WebView;
}

async function statusOf(on: Wharf, cwd: string, env?: string): Promise<ServiceStatusView[]> {
  return parseJson<ServiceStatusView[]>(await on.cli(['status', '--json', ...(env ? ['-e', env] : [])], { cwd }));
}

async function deploymentCount(service: string): Promise<number> {
  return parseJson<DeploymentView[]>(await wharf.cli(['deployments', '--json', '-s', service], { cwd: dir })).length;
}

async function settingsOf(service: string, env = 'production'): Promise<{ numReplicas: number; healthcheckPath: string | null }> {
  return parseJson(await wharf.cli(['settings', '-s', service, '-e', env, '--json'], { cwd: dir }));
}

async function variablesOf(on: Wharf, cwd: string, service: string): Promise<VariableView[]> {
  return parseJson<VariableView[]>(await on.cli(['variables', '-s', service, '--json'], { cwd }));
}

/** A fixture folder copied next to the Wharf home, so tests never write into the repo. */
async function copyFixture(name: string, into: string): Promise<string> {
  const target = path.join(into, `src-${name}-${Math.random().toString(36).slice(2, 8)}`);
  await cp(path.join(REPO, 'test/fixtures', name), target, { recursive: true });
  return target;
}

before(async () => {
  wharf = await startWharf();
  dir = await copyExample('multi-service', wharf.home);
});
after(async () => {
  await wharf.cleanup();
});

test('examples/multi-service: wharf up applies wharf.toml and deploys web and worker; staging gets its own values', async () => {
  const init = await wharf.cli(['init', '--name', 'ms'], { cwd: dir });
  assert.equal(init.code, 0, init.stdout + init.stderr);
  const up = await wharf.cli(['up'], { cwd: dir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  assert.match(up.stdout, /Applied (\S*\/)?wharf\.toml to ms\/production/);
  assert.match(up.stdout, /\+ service web \(web\)/);
  assert.match(up.stdout, /\+ service worker \(worker\)/);
  assert.match(up.stdout, /Deployment #1 of web is live: http:\/\/web-production-ms\.localhost/);
  assert.match(up.stdout, /Deployment #1 of worker is live \(worker: no route\)/);

  const prod = await webView(WEB);
  assert.equal(prod.greeting, 'Hello from production');
  assert.equal(prod.workerService, 'worker');
  assert.equal(prod.hasSessionSecret, true);
  assert.equal(prod.environment, 'production');

  const status = await statusOf(wharf, dir);
  const web = status.find((s) => s.service === 'web');
  const worker = status.find((s) => s.service === 'worker');
  assert.ok(web && worker, JSON.stringify(status));
  assert.equal(web.kind, 'web');
  assert.match(web.url, /^http:\/\/web-production-ms\.localhost:\d+$/);
  assert.equal(web.activeDeployment?.status, 'ACTIVE');
  assert.equal(web.settings.rootDirectory, 'web');
  assert.equal(worker.kind, 'worker');
  assert.equal(worker.activeDeployment?.status, 'ACTIVE');
  assert.equal(worker.settings.rootDirectory, 'worker');
  assert.ok(worker.replicas.some((r) => r.state === 'running'), JSON.stringify(worker.replicas));
  const workerHost = await wharf.get(WORKER, '/');
  assert.equal(workerHost.status, 404, `a worker has no route: ${workerHost.body}`);

  const staging = await wharf.cli(['up', '-e', 'staging'], { cwd: dir });
  assert.equal(staging.code, 0, staging.stdout + staging.stderr);
  assert.match(staging.stdout, /Applied (\S*\/)?wharf\.toml to ms\/staging/);
  const stag = await webView(WEB_STAGING);
  assert.equal(stag.greeting, 'Hello from staging');
  assert.equal(stag.environment, 'staging');
  assert.equal(stag.hasSessionSecret, true);
  assert.equal((await webView(WEB)).greeting, 'Hello from production', 'production keeps its own values');
  const stagingWorker = (await statusOf(wharf, dir, 'staging')).find((s) => s.service === 'worker');
  assert.equal(stagingWorker?.activeDeployment?.status, 'ACTIVE');

  // Generated once per environment: the two SESSION_SECRETs differ.
  const reveal = async (env: string) =>
    parseJson<VariableView[]>(await wharf.cli(['variables', '-s', 'web', '-e', env, '--reveal', '--json'], { cwd: dir })).find((v) => v.key === 'SESSION_SECRET');
  const [prodSecret, stagingSecret] = [await reveal('production'), await reveal('staging')];
  assert.equal(prodSecret?.secret, true);
  assert.ok(prodSecret?.value && stagingSecret?.value && prodSecret.value.length >= 32);
  assert.notEqual(prodSecret.value, stagingSecret.value);
});

// The worker reaches web through the router's private listener for web
// (WEB_URL = http://${{web.RAILWAY_PRIVATE_DOMAIN}}:${{web.PORT}}). The router's private
// listeners are still being finished: until they are, the worker gets ECONNREFUSED. Remove the
// todo once they land.
test("the worker's heartbeats reach web over the private network", async () => {
  let last: WebView | null = null;
  try {
    await waitFor(
      async () => {
        last = await webView(WEB);
        return last.heartbeats.count > 0;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: () => `heartbeats on web (last GET /: ${JSON.stringify(last)})` },
    );
  } catch (err) {
    const workerLog = succeeded(await wharf.cli(['logs', '-s', 'worker', '--lines', '5'], { cwd: dir })).stdout;
    throw new Error(`${(err as Error).message}\nworker log:\n${workerLog}`);
  }
  assert.equal((last as WebView | null)?.heartbeats.from, 'worker');
});

test('wharf plan shows what an edit of wharf.toml would change without changing it; wharf apply applies it', async () => {
  const clean = await wharf.cli(['plan'], { cwd: dir });
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /No changes/);
  const cleanJson = parseJson<PlanJson>(await wharf.cli(['plan', '--json'], { cwd: dir }));
  assert.deepEqual(cleanJson.changes, []);
  assert.equal(cleanJson.file, 'wharf.toml');
  const cleanStaging = await wharf.cli(['plan', '-e', 'staging'], { cwd: dir });
  assert.equal(cleanStaging.code, 0, cleanStaging.stdout + cleanStaging.stderr);
  assert.match(cleanStaging.stdout, /No changes/);

  const deploymentsBefore = await deploymentCount('web');
  const file = path.join(dir, 'wharf.toml');
  const original = await readFile(file, 'utf8');
  const edited = original
    .replace('healthcheckTimeout = 60\n', 'healthcheckTimeout = 60\nnumReplicas = 2\n')
    .replace('[services.web.variables]\n', '[services.web.variables]\nNEW_VAR = "planned"\n');
  assert.notEqual(edited, original);
  await writeFile(file, edited);

  const plan = await wharf.cli(['plan'], { cwd: dir });
  assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  assert.match(plan.stdout, /~ web\.numReplicas: 1 → 2/);
  assert.match(plan.stdout, /\+ web\.NEW_VAR = "planned"/);
  assert.doesNotMatch(plan.stdout, /No changes/);
  const planJson = parseJson<PlanJson>(await wharf.cli(['plan', '--json'], { cwd: dir }));
  assert.deepEqual(
    planJson.changes.map((c) => [c.action, c.target, c.before, c.after]),
    [
      ['update', 'web.numReplicas', '1', '2'],
      ['set', 'web.NEW_VAR', undefined, '"planned"'],
    ],
  );
  // A plan changes nothing.
  assert.equal((await settingsOf('web')).numReplicas, 1);
  assert.ok(!(await variablesOf(wharf, dir, 'web')).some((v) => v.key === 'NEW_VAR'));

  const apply = await wharf.cli(['apply'], { cwd: dir });
  assert.equal(apply.code, 0, apply.stdout + apply.stderr);
  assert.match(apply.stdout, /~ web\.numReplicas: 1 → 2/);
  assert.match(apply.stdout, /Applied\./);
  assert.equal((await settingsOf('web')).numReplicas, 2);
  assert.equal((await variablesOf(wharf, dir, 'web')).find((v) => v.key === 'NEW_VAR')?.value, 'planned');
  // staging has its own override (numReplicas = 1) and was not the target.
  assert.equal((await settingsOf('web', 'staging')).numReplicas, 1);
  assert.equal(await deploymentCount('web'), deploymentsBefore, 'apply does not deploy');

  const again = parseJson<PlanJson>(await wharf.cli(['apply', '--json'], { cwd: dir }));
  assert.deepEqual(again.changes, [], 'applying the same file twice changes nothing the second time');
  assert.match(succeeded(await wharf.cli(['plan'], { cwd: dir })).stdout, /No changes/);
});

test('an invalid wharf.toml stops wharf up with file:line:col and a did-you-mean; nothing is applied or deployed', async () => {
  const file = path.join(dir, 'wharf.toml');
  const good = await readFile(file, 'utf8');
  const before = { web: await deploymentCount('web'), worker: await deploymentCount('worker'), settings: await settingsOf('web') };
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.startsWith(needle)) + 1;
  try {
    // A misspelt key (Render's spelling), next to a valid change that must not be applied either.
    const misspelt = good
      .replace('healthcheckPath = "/api/health"', 'healthCheckPath = "/api/other"')
      .replace('[services.web.variables]\n', '[services.web.variables]\nNOT_APPLIED = "x"\n');
    await writeFile(file, misspelt);
    const line = lineOf(misspelt, 'healthCheckPath');
    assert.ok(line > 0);
    const up = await wharf.cli(['up'], { cwd: dir });
    assert.equal(up.code, 1, up.stdout + up.stderr);
    assert.match(up.stderr, new RegExp(`wharf\\.toml:${line}:1 services\\.web\\.healthCheckPath`));
    assert.match(up.stderr, /did you mean 'healthcheckPath'/);
    assert.doesNotMatch(up.stdout, /Applied|Uploading/);

    // A wrong type.
    const wrongType = good.replace('healthcheckTimeout = 60', 'healthcheckTimeout = "sixty"');
    await writeFile(file, wrongType);
    const typeLine = lineOf(wrongType, 'healthcheckTimeout');
    const upType = await wharf.cli(['up'], { cwd: dir });
    assert.equal(upType.code, 1, upType.stdout + upType.stderr);
    assert.match(upType.stderr, new RegExp(`wharf\\.toml:${typeLine}:1 services\\.web\\.healthcheckTimeout`));
    assert.match(upType.stderr, /"sixty"/);
    const plan = await wharf.cli(['plan'], { cwd: dir });
    assert.equal(plan.code, 1);
    assert.match(plan.stderr, new RegExp(`wharf\\.toml:${typeLine}:1`));

    assert.equal(await deploymentCount('web'), before.web, 'no deployment was made');
    assert.equal(await deploymentCount('worker'), before.worker);
    assert.deepEqual(await settingsOf('web'), before.settings, 'no setting changed');
    assert.ok(!(await variablesOf(wharf, dir, 'web')).some((v) => v.key === 'NOT_APPLIED'), 'no variable was set');
    assert.equal((await webView(WEB)).greeting, 'Hello from production', 'the running deployment keeps serving');
  } finally {
    await writeFile(file, good);
  }
});

test('a render.yaml project (rootDir, value, generateValue, fromService) deploys unchanged with wharf up', async () => {
  const own = await startWharf();
  try {
    const src = await copyFixture('deploy-render', own.home);
    assert.equal((await own.cli(['init', '--name', 'rnd'], { cwd: src })).code, 0);
    const up = await own.cli(['up'], { cwd: src });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(up.stdout, /Applied (\S*\/)?render\.yaml to rnd\/production/);
    assert.match(up.stdout, /Deployment #1 of web is live/);
    assert.match(up.stdout, /Deployment #1 of worker is live \(worker: no route\)/);

    const res = await own.get(host('web', 'rnd'), '/');
    assert.equal(res.status, 200, res.body);
    const body = JSON.parse(res.body) as { service: string; greeting: string; pageSize: string; apiTokenLength: number; queueName: string; privateUrl: string | null };
    assert.equal(body.service, 'web');
    assert.equal(body.greeting, 'Hello from render.yaml', 'envVars value');
    assert.equal(body.pageSize, '25', 'a number becomes a string');
    assert.ok(body.apiTokenLength >= 32, `generateValue: a generated secret (length ${body.apiTokenLength})`);
    assert.equal(body.queueName, 'render-jobs', "fromService envVarKey: the worker's QUEUE_NAME");

    const vars = await variablesOf(own, src, 'web');
    const token = vars.find((v) => v.key === 'API_TOKEN');
    assert.equal(token?.secret, true, 'a generated value is secret');
    assert.equal(token?.value, '********');
    const status = await statusOf(own, src);
    const worker = status.find((s) => s.service === 'worker');
    assert.equal(worker?.kind, 'worker');
    assert.equal(worker?.settings.rootDirectory, 'worker');
    assert.equal(worker?.activeDeployment?.status, 'ACTIVE');
    assert.equal(status.find((s) => s.service === 'web')?.settings.healthcheckPath, '/healthz');
    await waitFor(async () => logLines(own, src, 'worker').then((lines) => lines.some((l) => l.m.includes('render worker consuming render-jobs'))), {
      timeoutMs: 10_000,
      what: 'the worker to log its queue',
    });
    assert.equal((await own.get(host('worker', 'rnd'), '/')).status, 404);

    // Private networking is per Wharf: this second Wharf on the machine (the multi-service one
    // is still running) must not hand its web a private port another Wharf already listens on,
    // or its services would talk to another project's web.
    assert.match(body.privateUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    const mainTable = JSON.parse(await readFile(path.join(wharf.home, 'router', 'routes.json'), 'utf8')) as { routes: Array<{ host: string; privatePort?: number }> };
    const mainPort = mainTable.routes.find((r) => r.host === WEB)?.privatePort;
    assert.ok(mainPort, 'the multi-service web has a private port');
    assert.notEqual(body.privateUrl, `http://127.0.0.1:${mainPort}`, 'two Wharfs on one machine gave their webs the same private port');
    const viaPrivate = await httpRequest(`${body.privateUrl}/`);
    assert.equal(viaPrivate.status, 200, viaPrivate.body);
    assert.equal((JSON.parse(viaPrivate.body) as { greeting?: string }).greeting, 'Hello from render.yaml', `${body.privateUrl} reached another Wharf's service: ${viaPrivate.body}`);
  } finally {
    await own.cleanup();
  }
});

test('a Procfile with web and worker deploys a web service and a worker service', async () => {
  const own = await startWharf();
  try {
    const src = await copyFixture('deploy-procfile', own.home);
    assert.equal((await own.cli(['init', '--name', 'prc'], { cwd: src })).code, 0);
    const up = await own.cli(['up'], { cwd: src });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(up.stdout, /Applied (\S*\/)?Procfile to prc\/production/);
    assert.match(up.stdout, /Deployment #1 of web is live/);
    assert.match(up.stdout, /Deployment #1 of worker is live \(worker: no route\)/);

    const res = await own.get(host('web', 'prc'), '/');
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(JSON.parse(res.body), { process: 'web', service: 'web' });

    const status = await statusOf(own, src);
    assert.deepEqual(status.map((s) => [s.service, s.kind, s.activeDeployment?.status]).sort(), [
      ['web', 'web', 'ACTIVE'],
      ['worker', 'worker', 'ACTIVE'],
    ]);
    assert.equal(status.find((s) => s.service === 'worker')?.settings.startCommand, 'node worker.js');
    await waitFor(async () => logLines(own, src, 'worker').then((lines) => lines.some((l) => l.m.includes('procfile worker started as worker'))), {
      timeoutMs: 10_000,
      what: 'the worker process to log',
    });
    assert.equal((await own.get(host('worker', 'prc'), '/')).status, 404);
  } finally {
    await own.cleanup();
  }
});

test('wharf validate and wharf import work offline', async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'wharf-offline-'));
  try {
    const src = await copyFixture('deploy-render', tmp);
    // Nothing listens here: a command that needed the server would fail.
    const closed = await freePort();
    const env = { PATH: process.env.PATH ?? '', HOME: tmp, WHARF_HOME: path.join(tmp, 'home'), WHARF_API_URL: `http://127.0.0.1:${closed}` };
    const cli = (args: string[]) => runCli(args, { cwd: src, env, timeoutMs: 30_000 });

    const status = await cli(['status']);
    assert.equal(status.code, 1, 'the server really is unreachable');

    const validate = await cli(['validate']);
    assert.equal(validate.code, 0, validate.stdout + validate.stderr);
    assert.match(validate.stdout, /ok: render\.yaml/);
    assert.match(validate.stdout, /services: web \(web\), worker \(worker\)/);
    const json = parseJson<{ ok: boolean; file: string; spec: { services: Record<string, { kind: string; root: string }> } }>(await cli(['validate', '--json']));
    assert.equal(json.ok, true);
    assert.equal(json.spec.services.web?.root, 'web');
    assert.equal(json.spec.services.worker?.kind, 'worker');

    const imported = await cli(['import', 'render.yaml', '--out', 'wharf.toml']);
    assert.equal(imported.code, 0, imported.stdout + imported.stderr);
    assert.match(imported.stdout, /wrote wharf\.toml from render\.yaml/);
    const toml = await readFile(path.join(src, 'wharf.toml'), 'utf8');
    assert.match(toml, /\[services\.web\]/);
    assert.match(toml, /root = "web"/);
    assert.match(toml, /kind = "worker"/);
    assert.match(toml, /healthcheckPath = "\/healthz"/);
    assert.match(toml, /generate = "secret"/);
    assert.match(toml, /QUEUE_NAME = "\$\{\{worker\.QUEUE_NAME\}\}"/);
    assert.match(toml, /PAGE_SIZE = "25"/);

    // wharf.toml now wins over render.yaml, and says the same.
    const again = parseJson<{ ok: boolean; file: string; spec: unknown }>(await cli(['validate', '--json']));
    assert.equal(again.file, 'wharf.toml');
    assert.deepEqual(again.spec, json.spec, 'the written wharf.toml describes the same project');

    const refused = await cli(['import', 'render.yaml', '--out', 'wharf.toml']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already exists/);
    assert.match(refused.stderr, /--force/);
    assert.equal(await readFile(path.join(src, 'wharf.toml'), 'utf8'), toml);
    assert.equal((await cli(['import', 'render.yaml', '--out', 'wharf.toml', '--force'])).code, 0);

    // An invalid file fails offline too, with its line.
    await writeFile(path.join(src, 'render.yaml'), 'services:\n  - type: webservice\n    name: web\n');
    const bad = await cli(['validate', 'render.yaml']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /render\.yaml:2:\d+ services\[0\]\.type: .*did you mean 'web'/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

async function logLines(on: Wharf, cwd: string, service: string): Promise<LogLineView[]> {
  const res = await on.cli(['logs', '-s', service, '--json'], { cwd });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  return res.stdout.trim() ? res.stdout.trim().split('\n').map((l) => JSON.parse(l) as LogLineView) : [];
}
