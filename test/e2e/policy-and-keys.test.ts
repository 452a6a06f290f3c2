import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DeploymentView, ServiceStatusView, VariableView } from '../../src/core/api.js';
import { copyExample, parseJson, startWharf, succeeded, type Wharf } from '../helpers/wharf.js';

// The environment policy (`wharf doctor`, and the same checks before every production deploy)
// and the rotation of the key that encrypts secrets at rest.

const HOST = 'web-production-pk.localhost';

interface Finding {
  rule: string;
  severity: 'warn' | 'block';
  environment: string;
  service?: string;
  key?: string;
  message: string;
  hint: string;
}

let wharf: Wharf;
let dir: string;
const JWT = `jwt-${randomBytes(24).toString('hex')}`;
const LIVE_KEY = `sk_live_${randomBytes(16).toString('hex')}`;

async function doctor(on: Wharf = wharf, cwd: string = dir): Promise<{ code: number | null; text: string; stderr: string; findings: Finding[] }> {
  const text = await on.cli(['doctor'], { cwd });
  const json = await on.cli(['doctor', '--json'], { cwd });
  assert.equal(json.code, text.code, 'doctor --json exits like doctor');
  return { code: text.code, text: text.stdout, stderr: text.stderr, findings: parseJson<Finding[]>(json, { code: text.code }) };
}

async function setVariable(pair: string, env: string, opts: { secret?: boolean; on?: Wharf; cwd?: string } = {}): Promise<void> {
  const res = await (opts.on ?? wharf).cli(['variables', '--set', pair, ...(opts.secret ? ['--secret'] : []), '--skip-deploy', '-e', env], { cwd: opts.cwd ?? dir });
  assert.equal(res.code, 0, res.stdout + res.stderr);
}

async function deployments(): Promise<DeploymentView[]> {
  return parseJson<DeploymentView[]>(await wharf.cli(['deployments', '--json'], { cwd: dir }));
}

async function app(): Promise<{ version: string; greeting: string; replica: string | null }> {
  const res = await wharf.get(HOST, '/');
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body) as { version: string; greeting: string; replica: string | null };
}

async function upNodeWeb(on: Wharf, name: string): Promise<string> {
  const src = await copyExample('node-web', on.home);
  assert.equal((await on.cli(['init', '--name', name], { cwd: src })).code, 0);
  const up = await on.cli(['up'], { cwd: src });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  return src;
}

before(async () => {
  wharf = await startWharf();
  dir = await upNodeWeb(wharf, 'pk');
});
after(async () => {
  await wharf.cleanup();
});

test('wharf doctor on a clean project: no findings, exit 0', async () => {
  const result = await doctor();
  assert.equal(result.code, 0, result.text + result.stderr);
  assert.match(result.text, /No findings/);
  assert.deepEqual(result.findings, []);
});

test('the same secret in production and staging is a shared-secret warning naming the key and both environments, never the value', async () => {
  const create = await wharf.cli(['environment', 'create', 'staging'], { cwd: dir });
  assert.equal(create.code, 0, create.stdout + create.stderr);
  await setVariable(`JWT_SECRET=${JWT}`, 'production', { secret: true });
  await setVariable(`JWT_SECRET=${JWT}`, 'staging', { secret: true });

  const result = await doctor();
  assert.equal(result.code, 0, `a warning does not fail doctor: ${result.text}${result.stderr}`);
  assert.deepEqual(
    result.findings.map((f) => [f.rule, f.severity, f.environment, f.service, f.key]),
    [['shared-secret', 'warn', 'staging', 'web', 'JWT_SECRET']],
  );
  const [finding] = result.findings;
  assert.match(finding!.message, /JWT_SECRET in staging .*JWT_SECRET in production/);
  assert.match(result.text, /warn\s+staging\/web: .*JWT_SECRET.*production/);
  const json = succeeded(await wharf.cli(['doctor', '--json'], { cwd: dir })).stdout;
  for (const out of [result.text, result.stderr, json]) assert.ok(!out.includes(JWT), `doctor printed the secret: ${out}`);
});

test('a live payment key in staging blocks doctor and production deploys; the running deployment keeps serving', async () => {
  await setVariable(`STRIPE_KEY=${LIVE_KEY}`, 'staging');
  const result = await doctor();
  assert.equal(result.code, 1, result.text + result.stderr);
  const block = result.findings.find((f) => f.severity === 'block');
  assert.deepEqual([block?.rule, block?.environment, block?.key], ['live-payment-key-outside-production', 'staging', 'STRIPE_KEY']);
  assert.match(result.text, /BLOCK staging\/web: web\.STRIPE_KEY in staging holds a .*live secret key/);
  assert.match(result.stderr, /block deploys to production/);
  assert.ok(!result.text.includes(LIVE_KEY) && !result.stderr.includes(LIVE_KEY), 'doctor never prints the key');

  const before = { list: await deployments(), app: await app() };
  const redeploy = await wharf.cli(['redeploy'], { cwd: dir });
  assert.equal(redeploy.code, 1, redeploy.stdout + redeploy.stderr);
  assert.match(redeploy.stderr, /policy blocks deploying to production/);
  assert.match(redeploy.stderr, /STRIPE_KEY/);
  assert.match(redeploy.stderr, /hint: .*`wharf doctor`/);
  assert.ok(!redeploy.stderr.includes(LIVE_KEY));
  const up = await wharf.cli(['up'], { cwd: dir });
  assert.equal(up.code, 1, up.stdout + up.stderr);
  assert.match(up.stderr, /policy blocks deploying to production/);
  assert.match(up.stderr, /hint: .*`wharf doctor`/);

  const afterList = await deployments();
  assert.deepEqual(afterList.map((d) => [d.number, d.status]), before.list.map((d) => [d.number, d.status]), 'no deployment was made or changed');
  assert.deepEqual(await app(), before.app, 'the same replica keeps serving');

  // Staging itself is not production: it may deploy (that is where the key is wrong, not blocked).
  const staging = await wharf.cli(['up', '-e', 'staging'], { cwd: dir });
  assert.equal(staging.code, 0, staging.stdout + staging.stderr);

  await setVariable('STRIPE_KEY=sk_test_0123456789abcdef', 'staging');
  const fixed = await doctor();
  assert.equal(fixed.code, 0, fixed.text + fixed.stderr);
  assert.deepEqual(fixed.findings.map((f) => f.rule), ['shared-secret']);
});

test('with WHARF_POLICY=warn the deploy goes through and the finding is a warning in the build log', async () => {
  const own = await startWharf({ WHARF_POLICY: 'warn' });
  try {
    const src = await upNodeWeb(own, 'pw');
    assert.equal((await own.cli(['environment', 'create', 'staging'], { cwd: src })).code, 0);
    await setVariable(`STRIPE_KEY=${LIVE_KEY}`, 'staging', { on: own, cwd: src });
    const result = await doctor(own, src);
    assert.equal(result.code, 0, result.text + result.stderr);
    assert.deepEqual(result.findings.map((f) => [f.rule, f.severity]), [['live-payment-key-outside-production', 'warn']]);

    const redeploy = await own.cli(['redeploy'], { cwd: src });
    assert.equal(redeploy.code, 0, redeploy.stdout + redeploy.stderr);
    const log = await own.cli(['logs', '--build'], { cwd: src });
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, /warning: policy \(live-payment-key-outside-production\): web\.STRIPE_KEY in staging holds/);
    assert.match(log.stdout, /traffic switched to deployment #2/);
    assert.ok(!log.stdout.includes(LIVE_KEY));
    const status = parseJson<ServiceStatusView[]>(await own.cli(['status', '--json'], { cwd: src }));
    assert.equal(status[0]?.activeDeployment?.number, 2);
  } finally {
    await own.cleanup();
  }
});

test('a key listed in the source’s .env.example that the service lacks is reported as missing-required', async () => {
  await writeFile(path.join(dir, '.env.example'), '# What node-web needs\nPORT=3000\nJWT_SECRET=\nexport MAILER_URL=smtp://localhost\n');
  const up = await wharf.cli(['up'], { cwd: dir });
  assert.equal(up.code, 0, `warnings do not block: ${up.stdout}${up.stderr}`);

  const result = await doctor();
  assert.equal(result.code, 0, result.text + result.stderr);
  const missing = result.findings.filter((f) => f.rule === 'missing-required');
  assert.deepEqual(missing.map((f) => [f.environment, f.service, f.key, f.severity]), [
    ['production', 'web', 'MAILER_URL', 'warn'],
    ['staging', 'web', 'MAILER_URL', 'warn'],
  ], 'PORT comes from the platform and JWT_SECRET is set');
  assert.match(result.text, /web\.MAILER_URL in production is not set, but \.env\.example lists it/);

  await setVariable('MAILER_URL=smtp://mail.internal', 'production');
  const after = (await doctor()).findings.filter((f) => f.rule === 'missing-required');
  assert.deepEqual(after.map((f) => [f.environment, f.key]), [['staging', 'MAILER_URL']]);
});

test('secrets rotate-key: a new current key, values still read and deploy, and no token under the old key left in the database', async () => {
  const keyFile = path.join(wharf.home, 'secret.key');
  const readKeys = async () => JSON.parse(await readFile(keyFile, 'utf8')) as { current: string; keys: Record<string, string> };
  const before = await readKeys();
  assert.equal(Object.keys(before.keys).length, 1);
  const oldId = before.current;
  const files = ['wharf.db', 'wharf.db-wal'];
  const databaseBytes = async () => {
    const parts = await Promise.all(files.map((f) => readFile(path.join(wharf.home, f)).catch(() => Buffer.alloc(0))));
    return Object.fromEntries(files.map((f, i) => [f, parts[i]!.toString('latin1')]));
  };
  const count = (text: string, needle: string) => text.split(needle).length - 1;
  assert.ok(Object.values(await databaseBytes()).some((b) => b.includes(`wharf:v1:${oldId}:`)), 'before rotating, values are stored under the first key');

  const greeting = `rotated-${randomBytes(8).toString('hex')}`;
  await setVariable(`GREETING=${greeting}`, 'production', { secret: true });

  const rotate = await wharf.cli(['secrets', 'rotate-key'], { cwd: dir });
  assert.equal(rotate.code, 0, rotate.stdout + rotate.stderr);
  assert.match(rotate.stdout, /New key \S+ is current; re-encrypted \d+ variable\(s\) and \d+ deployment snapshot\(s\)/);
  const afterKeys = await readKeys();
  assert.notEqual(afterKeys.current, oldId);
  assert.deepEqual(Object.keys(afterKeys.keys).sort(), [oldId, afterKeys.current].sort());
  assert.match(rotate.stdout, new RegExp(`New key ${afterKeys.current} is current`));

  const reveal = async (env: string) =>
    Object.fromEntries(parseJson<VariableView[]>(await wharf.cli(['variables', '--reveal', '--json', '-e', env], { cwd: dir })).map((v) => [v.key, v.value]));
  const production = await reveal('production');
  assert.equal(production.GREETING, greeting);
  assert.equal(production.JWT_SECRET, JWT);
  assert.equal(production.MAILER_URL, 'smtp://mail.internal');
  assert.equal((await reveal('staging')).JWT_SECRET, JWT);

  const redeploy = await wharf.cli(['redeploy'], { cwd: dir });
  assert.equal(redeploy.code, 0, redeploy.stdout + redeploy.stderr);
  assert.equal((await app()).greeting, greeting, 'the app sees the value decrypted with the new key');
  // A rollback runs with an older deployment's snapshot: re-encrypted too, so it still decrypts.
  const rollback = await wharf.cli(['rollback'], { cwd: dir });
  assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
  assert.equal((await app()).greeting, 'Hello from Wharf');

  // No row holds a token under the old key (every table, every column)...
  const db = new Database(path.join(wharf.home, 'wharf.db'), { readonly: true, fileMustExist: true });
  const rows: string[] = [];
  try {
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>) {
      for (const column of db.prepare(`PRAGMA table_info("${name}")`).all() as Array<{ name: string }>) {
        const { n } = db.prepare(`SELECT count(*) AS n FROM "${name}" WHERE instr(CAST("${column.name}" AS TEXT), ?) > 0`).get(`wharf:v1:${oldId}:`) as { n: number };
        if (n > 0) rows.push(`${name}.${column.name}: ${n}`);
      }
    }
  } finally {
    db.close();
  }
  assert.deepEqual(rows, [], 'rows still holding tokens under the old key');
  // ...and none is left in the files either (stale WAL frames or freed pages would hand the
  // old ciphertext to whoever gets a copy of the database and the old key).
  const bytes = await databaseBytes();
  assert.ok(Object.values(bytes).some((b) => b.includes(`wharf:v1:${afterKeys.current}:`)), 'values are stored under the new key');
  const left = files.map((f) => `${f}: ${count(bytes[f]!, `wharf:v1:${oldId}:`)}`);
  assert.ok(
    files.every((f) => count(bytes[f]!, `wharf:v1:${oldId}:`) === 0),
    `tokens under the old key ${oldId} are still in the database files after rotate-key (${left.join(', ')})`,
  );
});
