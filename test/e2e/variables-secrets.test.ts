import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, lstat, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeploymentView, LogLineView, VariableView } from '../../src/core/api.js';
import { parseDotenv } from '../../src/shared/dotenv.js';
import { REPO, parseJson, startWharf, waitFor, type CliResult, type Wharf } from '../helpers/wharf.js';

// Variables end to end: set → redeploy, staged changes, references (shared, same service,
// another service, platform), write-time checks, secrets and sealed values in the CLI, in the
// app, in `wharf run`, redacted from build and runtime logs, and never in clear on disk.

const HOST = 'web-production-vars.localhost';
const SECRET = 's3cr3t-VALUE-8f2a1c';
const SEALED = 's3al3d-VALUE-71be9d';

let wharf: Wharf;
let dir: string;
let otherDir: string;

async function copyFixture(name: string): Promise<string> {
  const to = path.join(wharf.home, `src-${name}-${Math.random().toString(36).slice(2, 8)}`);
  await cp(path.join(REPO, 'test/fixtures/vars-app'), to, { recursive: true });
  return to;
}

const out = (r: CliResult) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

async function ok(args: string[], cwd = dir): Promise<CliResult> {
  const result = await wharf.cli(args, { cwd });
  assert.equal(result.code, 0, `wharf ${args.join(' ')}: ${out(result)}`);
  return result;
}

/** The value the running app (through the router) sees for a variable; null when unset. */
async function appValue(key: string, host = HOST): Promise<string | null> {
  const res = await wharf.get(host, `/env/${key}`);
  assert.equal(res.status, 200, res.body);
  return (JSON.parse(res.body) as { value: string | null }).value;
}

async function waitForAppValue(key: string, expected: string | null, host = HOST): Promise<void> {
  let last: string | null | undefined;
  await waitFor(async () => (last = await appValue(key, host)) === expected, {
    timeoutMs: 60_000,
    what: () => `${host} to see ${key}=${JSON.stringify(expected)} (last: ${JSON.stringify(last)})`,
  });
}

async function deployments(cwd = dir): Promise<DeploymentView[]> {
  return parseJson<DeploymentView[]>(await wharf.cli(['deployments', '--json'], { cwd }));
}

/** Waits until no deployment of the folder's service is in flight; the latest must be ACTIVE. */
async function settled(cwd = dir): Promise<DeploymentView> {
  let latest: DeploymentView | undefined;
  await waitFor(async () => {
    latest = (await deployments(cwd))[0];
    return latest !== undefined && !['QUEUED', 'BUILDING', 'DEPLOYING'].includes(latest.status);
  }, { timeoutMs: 90_000, what: () => `the latest deployment to settle (last: ${JSON.stringify(latest)})` });
  assert.equal(latest!.status, 'ACTIVE', JSON.stringify(latest));
  return latest!;
}

async function variables(args: string[] = [], cwd = dir): Promise<VariableView[]> {
  return parseJson<VariableView[]>(await ok(['variables', '--json', ...args], cwd));
}

before(async () => {
  wharf = await startWharf();
  dir = await copyFixture('web');
  otherDir = await copyFixture('other');
  await ok(['init', '--name', 'vars']);
  await ok(['up']);
});
after(async () => {
  await wharf?.cleanup();
});

test('variables --set redeploys and the app sees the value; --skip-deploy only stages it until redeploy', async () => {
  assert.equal(await appValue('GREETING'), null);
  const set = await ok(['variables', '--set', 'GREETING=hello']);
  assert.match(set.stdout, /Redeploying/);
  await settled();
  assert.equal(await appValue('GREETING'), 'hello');

  const staged = await ok(['variables', '--skip-deploy', '--set', 'GREETING=staged']);
  assert.doesNotMatch(staged.stdout, /Redeploying/);
  assert.match(staged.stdout, /Saved/);
  assert.equal((await deployments()).length, 2, 'a staged change starts no deployment');
  assert.equal(await appValue('GREETING'), 'hello', 'the running deployment keeps its snapshot');
  assert.equal((await variables()).find((v) => v.key === 'GREETING')?.value, 'staged');

  await ok(['redeploy']);
  assert.equal(await appValue('GREETING'), 'staged');
});

test('references to shared, same-service, other-service and platform variables resolve in the app', async () => {
  // A second service in the same project and environment, from its own folder.
  await ok(['up', '--project', 'vars', '--service', 'other'], otherDir);
  await ok(['variables', '--set', 'OTHER_KEY=from-other'], otherDir);
  await settled(otherDir);

  await ok(['variables', '--shared', '--set', 'DOMAIN=api.example.test']);
  const shared = await variables(['--shared']);
  assert.deepEqual(shared.map((v) => [v.key, v.value]), [['DOMAIN', 'api.example.test']]);

  await ok([
    'variables',
    '--skip-deploy',
    '--set', 'API_URL=https://${{shared.DOMAIN}}/v1',
    '--set', 'SELF_REF=${{ GREETING }}-again',
    '--set', 'OTHER_REF=got:${{other.OTHER_KEY}}',
    '--set', 'NAME_REF=name=${{RAILWAY_SERVICE_NAME}}',
  ]);
  // The raw value is kept as written; only deployments see it resolved.
  assert.equal((await variables()).find((v) => v.key === 'API_URL')?.value, 'https://${{shared.DOMAIN}}/v1');
  await ok(['redeploy']);
  assert.equal(await appValue('API_URL'), 'https://api.example.test/v1');
  assert.equal(await appValue('SELF_REF'), 'staged-again');
  assert.equal(await appValue('OTHER_REF'), 'got:from-other');
  assert.equal(await appValue('NAME_REF'), 'name=web');

  // Changing a shared variable redeploys the services that reference it.
  const before = (await deployments()).length;
  const change = await ok(['variables', '--shared', '--set', 'DOMAIN=api2.example.test']);
  assert.match(change.stdout, /Redeploying/);
  await settled();
  assert.equal((await deployments()).length, before + 1);
  assert.equal(await appValue('API_URL'), 'https://api2.example.test/v1');
});

test('an unknown reference or a cycle is rejected at write time and nothing is saved', async () => {
  const keysBefore = (await variables()).map((v) => v.key);
  const deploymentsBefore = (await deployments()).length;

  const unknown = await wharf.cli(['variables', '--set', 'FINE_TOO=1', '--set', 'BROKEN=${{shared.NOPE_MISSING}}'], { cwd: dir });
  assert.equal(unknown.code, 1, out(unknown));
  assert.match(unknown.stderr, /NOPE_MISSING/);
  assert.match(unknown.stderr, /web\.BROKEN/);

  const unknownService = await wharf.cli(['variables', '--set', 'BROKEN=${{ghost.KEY}}'], { cwd: dir });
  assert.equal(unknownService.code, 1, out(unknownService));
  assert.match(unknownService.stderr, /no service 'ghost'/);

  const cycle = await wharf.cli(['variables', '--set', 'LOOP_A=${{LOOP_B}}', '--set', 'LOOP_B=x${{LOOP_A}}'], { cwd: dir });
  assert.equal(cycle.code, 1, out(cycle));
  assert.match(cycle.stderr, /cycle/);
  assert.match(cycle.stderr, /web\.LOOP_(A|B) → web\.LOOP_(A|B) → web\.LOOP_(A|B)/);

  // A shared variable may not be deleted while a service references it.
  const dangling = await wharf.cli(['variables', 'delete', 'DOMAIN', '--shared'], { cwd: dir });
  assert.equal(dangling.code, 1, out(dangling));
  assert.match(dangling.stderr, /DOMAIN/);

  assert.deepEqual((await variables()).map((v) => v.key), keysBefore);
  assert.deepEqual((await variables(['--shared'])).map((v) => v.key), ['DOMAIN']);
  assert.equal((await deployments()).length, deploymentsBefore, 'a rejected change starts no deployment');
});

test('secret values are masked unless revealed, sealed ones never shown, and the app receives both', async () => {
  await ok(['variables', '--skip-deploy', '--secret', '--set', `SECRET_TOKEN=${SECRET}`]);
  await ok(['variables', '--skip-deploy', '--sealed', '--set', `SEALED_KEY=${SEALED}`]);

  const listed = await ok(['variables']);
  assert.doesNotMatch(listed.stdout, new RegExp(`${SECRET}|${SEALED}`));
  assert.match(listed.stdout, /SECRET_TOKEN\s+\*{8}\s+secret/);
  assert.match(listed.stdout, /SEALED_KEY\s+\(sealed\)\s+sealed/);

  const masked = await variables();
  assert.deepEqual(masked.find((v) => v.key === 'SECRET_TOKEN'), { ...masked.find((v) => v.key === 'SECRET_TOKEN')!, value: '********', secret: true, sealed: false });
  assert.deepEqual(masked.find((v) => v.key === 'SEALED_KEY'), { ...masked.find((v) => v.key === 'SEALED_KEY')!, value: null, secret: true, sealed: true });

  const revealed = await variables(['--reveal']);
  assert.equal(revealed.find((v) => v.key === 'SECRET_TOKEN')?.value, SECRET);
  assert.equal(revealed.find((v) => v.key === 'SEALED_KEY')?.value, null, '--reveal never shows a sealed value');
  assert.doesNotMatch((await ok(['variables', '--reveal'])).stdout, new RegExp(SEALED));

  assert.equal((await ok(['variables', 'get', 'SECRET_TOKEN', '--reveal'])).stdout.trim(), SECRET);
  assert.doesNotMatch((await ok(['variables', 'get', 'SECRET_TOKEN'])).stdout, new RegExp(SECRET));
  const sealedGet = await wharf.cli(['variables', 'get', 'SEALED_KEY', '--reveal'], { cwd: dir });
  assert.equal(sealedGet.code, 1, out(sealedGet));
  assert.match(sealedGet.stderr, /SEALED_KEY is sealed/);
  assert.doesNotMatch(sealedGet.stdout + sealedGet.stderr, new RegExp(SEALED));

  // Setting a sealed variable again without --sealed keeps it sealed (sealing cannot be undone).
  await ok(['variables', '--skip-deploy', '--set', `SEALED_KEY=${SEALED}`]);
  assert.equal((await variables(['--reveal'])).find((v) => v.key === 'SEALED_KEY')?.sealed, true);

  const redeploy = await ok(['redeploy']);
  assert.doesNotMatch(redeploy.stdout + redeploy.stderr, new RegExp(`${SECRET}|${SEALED}`));
  assert.equal(await appValue('SECRET_TOKEN'), SECRET);
  assert.equal(await appValue('SEALED_KEY'), SEALED);
});

test('secret values are redacted from runtime logs and from the build log', async () => {
  const logs = await ok(['logs', '--json']);
  const lines = logs.stdout.trim().split('\n').map((l) => JSON.parse(l) as LogLineView);
  assert.ok(lines.some((l) => l.m === 'boot token=[secret:SECRET_TOKEN]'), logs.stdout);
  assert.doesNotMatch(logs.stdout, new RegExp(SECRET));
  assert.doesNotMatch((await ok(['logs'])).stdout, new RegExp(SECRET));

  await ok(['settings', '--set', 'buildCommand=echo build token=$SECRET_TOKEN; echo sealed=$SEALED_KEY']);
  const redeploy = await ok(['redeploy']);
  assert.doesNotMatch(redeploy.stdout + redeploy.stderr, new RegExp(`${SECRET}|${SEALED}`));
  const build = await ok(['logs', '--build']);
  assert.match(build.stdout, /build token=\[secret:SECRET_TOKEN\]/);
  assert.match(build.stdout, /sealed=\[secret:SEALED_KEY\]/);
  assert.doesNotMatch(build.stdout, new RegExp(`${SECRET}|${SEALED}`));
  // The build really ran with the value (it was redacted, not missing).
  assert.doesNotMatch(build.stdout, /build token=\s*$/m);
});

test('wharf run: exit code, resolved variables and RAILWAY_SERVICE_NAME; sealed variables withheld', async () => {
  await ok(['variables', '--skip-deploy', '--set', 'EXIT_WITH=7']);
  const exit = await wharf.cli(['run', '--', 'node', '-e', 'process.exit(Number(process.env.EXIT_WITH))'], { cwd: dir });
  assert.equal(exit.code, 7, out(exit));

  const script = "console.log(JSON.stringify({ api: process.env.API_URL, self: process.env.SELF_REF, other: process.env.OTHER_REF, service: process.env.RAILWAY_SERVICE_NAME, secret: process.env.SECRET_TOKEN, sealed: process.env.SEALED_KEY ?? null, run: process.env.WHARF_RUN }))";
  const run = await ok(['run', '--', 'node', '-e', script]);
  assert.deepEqual(JSON.parse(run.stdout.trim()), {
    api: 'https://api2.example.test/v1',
    self: 'staged-again',
    other: 'got:from-other',
    service: 'web',
    secret: SECRET,
    sealed: null,
    run: 'true',
  });

  const other = await ok(['run', '--', 'node', '-e', 'console.log(process.env.RAILWAY_SERVICE_NAME + "|" + process.env.OTHER_KEY)'], otherDir);
  assert.equal(other.stdout.trim(), 'other|from-other');
});

test(
  'wharf run does not reveal a sealed value through a variable that references it',
  async () => {
    await ok(['variables', '--skip-deploy', '--set', 'SEALED_REF=x-${{SEALED_KEY}}']);
    try {
      const run = await ok(['run', '--', 'node', '-e', 'console.log(JSON.stringify(process.env))']);
      const env = JSON.parse(run.stdout) as Record<string, string>;
      assert.deepEqual(Object.keys(env).filter((key) => env[key]!.includes(SEALED)), [], 'variables whose value holds the sealed value');
    } finally {
      await ok(['variables', 'delete', 'SEALED_REF', '--skip-deploy']);
    }
  },
);

test('variables import reads a .env file; export --reveal parses back to the same values; delete removes one', async () => {
  const envFile = path.join(wharf.home, 'import.env');
  await writeFile(
    envFile,
    [
      '# a comment line',
      'IMP_PLAIN=plain-value',
      'IMP_TRAILING=kept # a trailing comment',
      'IMP_HASH=https://x.test/#/a',
      'IMP_DOUBLE="double quoted # not a comment"',
      "IMP_SINGLE='single $HOME \"quoted\"'",
      'IMP_MULTI="line one\\nline two"',
      'export IMP_EXPORTED=yes',
      'IMP_EMPTY=',
      '',
    ].join('\n'),
  );
  const imported = await ok(['variables', 'import', envFile, '--skip-deploy']);
  assert.doesNotMatch(imported.stdout, /Redeploying/);
  const byKey = Object.fromEntries((await variables(['--reveal'])).map((v) => [v.key, v.value]));
  assert.deepEqual(
    {
      IMP_PLAIN: byKey.IMP_PLAIN,
      IMP_TRAILING: byKey.IMP_TRAILING,
      IMP_HASH: byKey.IMP_HASH,
      IMP_DOUBLE: byKey.IMP_DOUBLE,
      IMP_SINGLE: byKey.IMP_SINGLE,
      IMP_MULTI: byKey.IMP_MULTI,
      IMP_EXPORTED: byKey.IMP_EXPORTED,
      IMP_EMPTY: byKey.IMP_EMPTY,
    },
    {
      IMP_PLAIN: 'plain-value',
      IMP_TRAILING: 'kept',
      IMP_HASH: 'https://x.test/#/a',
      IMP_DOUBLE: 'double quoted # not a comment',
      IMP_SINGLE: 'single $HOME "quoted"',
      IMP_MULTI: 'line one\nline two',
      IMP_EXPORTED: 'yes',
      IMP_EMPTY: '',
    },
  );

  // An export is a file to import again: values in clear (the caller may read them), so no
  // --reveal is needed; a sealed variable is only named in a comment.
  const exported = await ok(['variables', 'export']);
  const expected = Object.fromEntries(Object.entries(byKey).filter(([, v]) => v !== null));
  assert.deepEqual(parseDotenv(exported.stdout), expected);
  assert.equal(parseDotenv(exported.stdout).SECRET_TOKEN, SECRET);
  assert.match(exported.stdout, /^# SECRET_TOKEN is secret/m);
  assert.match(exported.stdout, /^# SEALED_KEY is sealed/m);
  assert.doesNotMatch(exported.stdout, /s3al3d/, 'a sealed value is never exported');

  await ok(['variables', 'delete', 'IMP_PLAIN', '--skip-deploy']);
  const left = (await variables()).map((v) => v.key);
  assert.ok(!left.includes('IMP_PLAIN'), left.join(','));
  assert.ok(left.includes('IMP_TRAILING') && left.includes('SECRET_TOKEN'), left.join(','));
});

test('nothing is in clear at rest: no file under WHARF_HOME holds a secret or sealed value; secret.key is 0600', async () => {
  // Make sure the state is written out: a running app with both values, logs, replica specs.
  assert.equal(await appValue('SECRET_TOKEN'), SECRET);
  const files: string[] = [];
  async function walk(folder: string): Promise<void> {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) files.push(full);
    }
  }
  await walk(wharf.home);
  const relative = files.map((f) => path.relative(wharf.home, f));
  for (const expected of ['wharf.db', 'secret.key']) assert.ok(relative.includes(expected), `${expected} in ${relative.join(', ')}`);
  assert.ok(relative.some((f) => /^run\/replicas\/[^/]+\/spec\.json$/.test(f)), `a replica spec in ${relative.join(', ')}`);
  assert.ok(relative.some((f) => f.startsWith('logs/') && f.endsWith('.log')), `log files in ${relative.join(', ')}`);

  const needles = [SECRET, SEALED].map((s) => Buffer.from(s));
  const leaks: string[] = [];
  // Control: the scan does read the logs (the redacted boot line is in the runtime log).
  const label = Buffer.from('boot token=[secret:SECRET_TOKEN]');
  let labelSeen = false;
  for (const file of files) {
    if (!(await lstat(file)).isFile()) continue;
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // a temp file that came and went
      throw err;
    }
    for (const needle of needles) if (bytes.includes(needle)) leaks.push(`${path.relative(wharf.home, file)} holds ${needle.toString()}`);
    if (bytes.includes(label)) labelSeen = true;
  }
  assert.deepEqual(leaks, []);
  assert.ok(labelSeen, 'the scan reads the runtime logs');
  assert.doesNotMatch(wharf.serverLog.join(''), new RegExp(`${SECRET}|${SEALED}`));

  assert.equal((await stat(path.join(wharf.home, 'secret.key'))).mode & 0o777, 0o600);
});
