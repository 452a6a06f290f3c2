import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DeploymentView, EnvironmentView, VariableView } from '../../src/core/api.js';
import { REPO, parseJson, startWharf, waitFor, type CliResult, type Wharf } from '../helpers/wharf.js';

// Environments end to end: a second environment runs its own instance of a service with its
// own variables and host, duplication copies settings and plain variables but never secrets,
// rename moves the host, delete stops everything in it and never touches production.

const PROD = 'web-production-envs.localhost';
const STAGING = 'web-staging-envs.localhost';

let wharf: Wharf;
let dir: string;

const out = (r: CliResult) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

async function ok(args: string[]): Promise<CliResult> {
  const result = await wharf.cli(args, { cwd: dir });
  assert.equal(result.code, 0, `wharf ${args.join(' ')}: ${out(result)}`);
  return result;
}

async function appValue(host: string, key: string): Promise<string | null> {
  const res = await wharf.get(host, `/env/${key}`);
  assert.equal(res.status, 200, `${host}: ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { value: string | null }).value;
}

async function environments(): Promise<EnvironmentView[]> {
  return parseJson<EnvironmentView[]>(await ok(['environment', 'list', '--json']));
}

async function variables(env: string, ...args: string[]): Promise<Record<string, string | null>> {
  const list = parseJson<VariableView[]>(await ok(['variables', '-e', env, '--json', ...args]));
  return Object.fromEntries(list.map((v) => [v.key, v.value]));
}

/** Waits until no deployment of the service in `env` is in flight; the latest must be ACTIVE. */
async function settled(env: string): Promise<void> {
  let latest: DeploymentView | undefined;
  await waitFor(async () => {
    latest = parseJson<DeploymentView[]>(await wharf.cli(['deployments', '-e', env, '--json'], { cwd: dir }))[0];
    return latest !== undefined && !['QUEUED', 'BUILDING', 'DEPLOYING'].includes(latest.status);
  }, { timeoutMs: 90_000, what: () => `the latest deployment in ${env} to settle (last: ${JSON.stringify(latest)})` });
  assert.equal(latest!.status, 'ACTIVE', JSON.stringify(latest));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

before(async () => {
  wharf = await startWharf();
  dir = path.join(wharf.home, 'src-envs');
  await cp(path.join(REPO, 'test/fixtures/vars-app'), dir, { recursive: true });
  await ok(['init', '--name', 'envs']);
  await ok(['up']);
  const set = await ok(['variables', '-e', 'production', '--set', 'APP_VERSION=prod-1', '--set', 'GREETING=hello-prod']);
  assert.match(set.stdout, /Redeploying/);
  await settled('production');
  assert.equal(await appValue(PROD, 'APP_VERSION'), 'prod-1');
});
after(async () => {
  await wharf?.cleanup();
});

test('a new environment runs its own instance at its own host with its own variables; production keeps serving its own', async () => {
  const created = await ok(['environment', 'create', 'staging']);
  assert.match(created.stdout, /Created environment staging/);
  assert.deepEqual(await variables('staging'), {}, 'an environment created without --from starts empty');

  const up = await ok(['up', '-e', 'staging']);
  assert.match(up.stdout, /to envs\/staging\/web/);
  assert.match(up.stdout, /is live: http:\/\/web-staging-envs\.localhost:/);
  const set = await ok(['variables', '-e', 'staging', '--set', 'APP_VERSION=staging-1', '--set', 'GREETING=hello-staging']);
  assert.match(set.stdout, /Redeploying/);
  await settled('staging');
  assert.equal(await appValue(PROD, 'APP_VERSION'), 'prod-1', 'setting staging variables leaves production alone');

  assert.equal(await appValue(STAGING, 'APP_VERSION'), 'staging-1');
  assert.equal(await appValue(STAGING, 'GREETING'), 'hello-staging');
  assert.equal(await appValue(STAGING, 'RAILWAY_ENVIRONMENT_NAME'), 'staging');
  assert.equal(await appValue(STAGING, 'RAILWAY_PUBLIC_DOMAIN'), STAGING);
  assert.equal(await appValue(PROD, 'APP_VERSION'), 'prod-1');
  assert.equal(await appValue(PROD, 'GREETING'), 'hello-prod');
  assert.equal(await appValue(PROD, 'RAILWAY_ENVIRONMENT_NAME'), 'production');

  const pid = async (host: string) => (JSON.parse((await wharf.get(host, '/pid')).body) as { pid: number }).pid;
  assert.notEqual(await pid(STAGING), await pid(PROD), 'two separate processes');
  assert.deepEqual(await variables('production'), { APP_VERSION: 'prod-1', GREETING: 'hello-prod' });
  assert.deepEqual(await variables('staging'), { APP_VERSION: 'staging-1', GREETING: 'hello-staging' });
  const count = async (env: string) => parseJson<DeploymentView[]>(await ok(['deployments', '-e', env, '--json'])).length;
  assert.equal(await count('production'), 2);
  assert.equal(await count('staging'), 2);
});

test('create --from copies settings and non-secret variables, never secret or sealed ones', async () => {
  await ok(['variables', '-e', 'production', '--skip-deploy', '--secret', '--set', 'SECRET_TOKEN=s3cr3t-VALUE-8f2a1c']);
  await ok(['variables', '-e', 'production', '--skip-deploy', '--sealed', '--set', 'SEALED_KEY=s3al3d-VALUE-71be9d']);
  await ok(['variables', '-e', 'production', '--shared', '--set', 'REGION=eu-west']);
  await ok(['variables', '-e', 'production', '--shared', '--secret', '--set', 'SHARED_SECRET=sh4red-VALUE-0c9e']);
  await ok(['settings', '-e', 'production', '--set', 'restartPolicyMaxRetries=7', '--set', 'healthcheckTimeout=45']);

  const created = await ok(['environment', 'create', 'qa', '--from', 'production']);
  assert.match(created.stdout, /Created environment qa from production \(secrets not copied/);

  assert.deepEqual(await variables('qa'), { APP_VERSION: 'prod-1', GREETING: 'hello-prod' });
  assert.deepEqual(await variables('qa', '--reveal'), { APP_VERSION: 'prod-1', GREETING: 'hello-prod' });
  assert.deepEqual(await variables('qa', '--shared'), { REGION: 'eu-west' });
  const settings = parseJson<Record<string, unknown>>(await ok(['settings', '-e', 'qa', '--json']));
  assert.equal(settings.restartPolicyMaxRetries, 7);
  assert.equal(settings.healthcheckTimeout, 45);

  // The source keeps everything it had.
  const production = await variables('production');
  assert.deepEqual(Object.keys(production).sort(), ['APP_VERSION', 'GREETING', 'SEALED_KEY', 'SECRET_TOKEN']);
  assert.deepEqual(await variables('production', '--shared'), { REGION: 'eu-west', SHARED_SECRET: '********' });
});

test('environment list --json marks only production as production', async () => {
  const list = await environments();
  assert.deepEqual(list.map((e) => e.name).sort(), ['production', 'qa', 'staging']);
  assert.deepEqual(list.filter((e) => e.production).map((e) => e.name), ['production']);
  for (const e of list) assert.equal(e.production, e.name === 'production', JSON.stringify(e));
});

test('rename: the service host follows the new name after a redeploy', async () => {
  const up = await ok(['up', '--environment', 'qa']);
  assert.match(up.stdout, /is live: http:\/\/web-qa-envs\.localhost:/);
  assert.equal(await appValue('web-qa-envs.localhost', 'APP_VERSION'), 'prod-1', 'the copied variable reaches the app');
  assert.equal(await appValue('web-qa-envs.localhost', 'SECRET_TOKEN'), null, 'the secret was not copied');

  const taken = await wharf.cli(['environment', 'rename', 'qa', 'production'], { cwd: dir });
  assert.equal(taken.code, 1, out(taken));
  assert.match(taken.stderr, /already exists/);

  await ok(['environment', 'rename', 'qa', 'test']);
  const names = (await environments()).map((e) => e.name);
  assert.ok(names.includes('test') && !names.includes('qa'), names.join(','));

  await ok(['redeploy', '-e', 'test']);
  assert.equal(await appValue('web-test-envs.localhost', 'RAILWAY_ENVIRONMENT_NAME'), 'test');
  assert.equal(await appValue('web-test-envs.localhost', 'APP_VERSION'), 'prod-1');
  await waitFor(async () => (await wharf.get('web-qa-envs.localhost', '/health')).status === 404, { timeoutMs: 10_000, what: 'the old host web-qa-envs.localhost to go away' });
  assert.equal(await appValue(PROD, 'APP_VERSION'), 'prod-1');
});

test('delete needs --yes without a terminal, then stops the environment; production cannot be deleted', async () => {
  const stagingId = (await environments()).find((e) => e.name === 'staging')!.id;
  const stagingPid = (JSON.parse((await wharf.get(STAGING, '/pid')).body) as { pid: number }).pid;

  const refused = await wharf.cli(['environment', 'delete', 'staging'], { cwd: dir });
  assert.equal(refused.code, 1, out(refused));
  assert.match(refused.stderr, /--yes/);
  assert.equal(await appValue(STAGING, 'APP_VERSION'), 'staging-1', 'a refused delete changes nothing');
  assert.ok((await environments()).some((e) => e.name === 'staging'));

  const deleted = await ok(['environment', 'delete', 'staging', '--yes']);
  assert.match(deleted.stdout, /Deleted environment staging/);
  await waitFor(async () => (await wharf.get(STAGING, '/health')).status === 404, { timeoutMs: 10_000, what: 'the router to answer 404 for the deleted environment' });
  await waitFor(() => !alive(stagingPid), { timeoutMs: 15_000, what: `the staging replica (pid ${stagingPid}) to stop` });
  assert.deepEqual((await environments()).map((e) => e.name).sort(), ['production', 'test']);
  assert.equal(await appValue(PROD, 'APP_VERSION'), 'prod-1');

  // Its instances, deployments and variables are gone from the store, not just hidden.
  const db = new Database(path.join(wharf.home, 'wharf.db'), { readonly: true, fileMustExist: true });
  try {
    const count = (sql: string) => (db.prepare(sql).get(stagingId) as { n: number }).n;
    assert.equal(count('SELECT count(*) AS n FROM env_variables WHERE environment_id = ?'), 0);
    assert.equal(count('SELECT count(*) AS n FROM service_instances WHERE environment_id = ?'), 0);
    assert.equal(count('SELECT count(*) AS n FROM deployments d JOIN service_instances i ON i.id = d.instance_id WHERE i.environment_id = ?'), 0);
  } finally {
    db.close();
  }
  // A new environment with the same name starts from nothing.
  await ok(['environment', 'create', 'staging']);
  assert.deepEqual(await variables('staging'), {});
  assert.deepEqual(parseJson<DeploymentView[]>(await ok(['deployments', '-e', 'staging', '--json'])), []);
  assert.equal((await wharf.get(STAGING, '/health')).status, 404);

  const production = await wharf.cli(['environment', 'delete', 'production', '--yes'], { cwd: dir });
  assert.equal(production.code, 1, out(production));
  assert.match(production.stderr, /production environment and cannot be deleted/);
  assert.ok((await environments()).some((e) => e.name === 'production' && e.production));
  assert.equal(await appValue(PROD, 'APP_VERSION'), 'prod-1');
  assert.equal(await appValue('web-test-envs.localhost', 'APP_VERSION'), 'prod-1');
});
