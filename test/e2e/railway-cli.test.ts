import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeploymentView, ServiceStatusView, VariableView } from '../../src/core/api.js';
import { suggestName } from '../../src/core/names.js';
import { parseDotenv } from '../../src/shared/dotenv.js';
import { readRailwayTable } from '../helpers/railway-table.js';
import { REPO, parseJson, startWharf, waitFor, type CliResult, type Wharf } from '../helpers/wharf.js';

// A Railway user's first hour, through the real CLI against a real server: variables that
// survive export → import, variables set before the first deploy, the verbs and flags the
// seeds type (`variables set K=V`, `rollback --deployment-id`, `logs --tail`, `list`, `service`,
// `deployments list`, `--version`, `run CMD --flags` without `--`), and the small defects of
// issue 11 part 12 (settings, redeploy of a cron service, status of a database, `db` shapes).

let wharf: Wharf;
const CLI = path.join(REPO, 'bin/wharf.js');

const out = (r: CliResult) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

async function ok(args: string[], cwd: string): Promise<CliResult> {
  const result = await wharf.cli(args, { cwd });
  assert.equal(result.code, 0, `wharf ${args.join(' ')}: ${out(result)}`);
  return result;
}

async function fails(args: string[], cwd: string): Promise<CliResult> {
  const result = await wharf.cli(args, { cwd });
  assert.equal(result.code, 1, `wharf ${args.join(' ')} should fail: ${out(result)}`);
  return result;
}

/** The CLI with `input` on its standard input (`wharf variables import < file`). */
function cliWithInput(args: string[], input: string, cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: wharf.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
    child.stdin.end(input);
  });
}

async function fixture(name: string): Promise<string> {
  const to = path.join(wharf.home, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  await cp(path.join(REPO, 'test/fixtures/vars-app'), to, { recursive: true });
  return to;
}

async function variables(args: string[], cwd: string): Promise<VariableView[]> {
  return parseJson<VariableView[]>(await ok(['variables', '--json', ...args], cwd));
}

async function status(cwd: string, service = 'web'): Promise<ServiceStatusView> {
  const list = parseJson<ServiceStatusView[]>(await ok(['status', '--json'], cwd));
  const found = list.find((s) => s.service === service);
  assert.ok(found, `status lists ${service}: ${JSON.stringify(list)}`);
  return found;
}

/** The value the running app sees for a variable, through the router; null when unset. */
async function appValue(cwd: string, key: string, service = 'web'): Promise<string | null> {
  const res = await wharf.get((await status(cwd, service)).host, `/env/${key}`);
  assert.equal(res.status, 200, res.body);
  return (JSON.parse(res.body) as { value: string | null }).value;
}

before(async () => {
  wharf = await startWharf();
});
after(async () => {
  await wharf?.cleanup();
});

test('wharf --version prints the package version', async () => {
  const { version } = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
  const result = await ok(['--version'], wharf.home);
  assert.equal(result.stdout.trim(), version);
});

test('variables set before the first deploy: init → variables --set → up, and the app sees them', async () => {
  const dir = await fixture('first');
  await ok(['init', '--name', 'first'], dir);
  // A change the server rejects (an unknown reference) leaves no service behind.
  const rejected = await fails(['variables', 'set', 'BROKEN=${{ghost.KEY}}'], dir);
  assert.match(rejected.stderr, /ghost/);
  const projects = parseJson<Array<{ name: string; services: unknown[] }>>(await ok(['list', '--json'], dir));
  assert.deepEqual(projects.find((p) => p.name === 'first')?.services, []);
  const set = await ok(['variables', '--set', 'JWT_SECRET=before-the-first-deploy'], dir);
  assert.doesNotMatch(set.stdout, /Redeploying/, 'nothing is deployed yet, so nothing redeploys');
  // Railway's positional shape, several at once.
  await ok(['variables', 'set', 'PLAIN_ONE=1', 'PLAIN_TWO=two words'], dir);
  const listed = await variables([], dir);
  assert.deepEqual(listed.map((v) => [v.key, v.value]).sort(), [['JWT_SECRET', 'before-the-first-deploy'], ['PLAIN_ONE', '1'], ['PLAIN_TWO', 'two words']]);

  await ok(['up'], dir);
  assert.equal(await appValue(dir, 'JWT_SECRET'), 'before-the-first-deploy');
  assert.equal(await appValue(dir, 'PLAIN_TWO'), 'two words');
});

test('variables survive export → import into another environment, every value the same; masks are refused', async () => {
  const dir = await fixture('trip');
  await ok(['init', '--name', 'trip'], dir);
  const values: Record<string, string> = {
    PLAIN: 'plain-value',
    SPACES: 'with spaces # and a hash',
    QUOTES: `it's "quoted" $HOME \${{ not.a.ref }}`,
    MULTI: 'line one\nline two',
    EMPTY: '',
    URLISH: 'postgres://u:p%40ss@h:5432/db?sslmode=require#frag',
  };
  await ok(['variables', '--skip-deploy', ...Object.entries(values).flatMap(([k, v]) => ['--set', `${k}=${v}`])], dir);
  await ok(['variables', '--skip-deploy', '--secret', '--set', 'API_KEY=sk_live_0123456789', '--set', 'DB_PASSWORD=p@ss w0rd\'"'], dir);
  await ok(['variables', '--skip-deploy', '--sealed', '--set', 'SEALED_TOKEN=never-leaves'], dir);

  const exported = await ok(['variables', 'export'], dir);
  assert.doesNotMatch(exported.stdout, /\*{8}/, 'no masks in an export');
  assert.doesNotMatch(exported.stdout, /never-leaves/);
  assert.match(exported.stdout, /^# SEALED_TOKEN is sealed/m, 'a sealed variable is named in a comment');
  const parsed = parseDotenv(exported.stdout);
  assert.deepEqual(parsed, { ...values, API_KEY: 'sk_live_0123456789', DB_PASSWORD: 'p@ss w0rd\'"' });

  const file = path.join(dir, 'env_backup.txt');
  await writeFile(file, exported.stdout);
  await ok(['environment', 'create', 'staging'], dir);
  await ok(['variables', 'import', file, '-e', 'staging', '--skip-deploy'], dir);
  const production = await variables(['--reveal'], dir);
  const staging = await variables(['--reveal', '-e', 'staging'], dir);
  const shape = (list: VariableView[]) => list.filter((v) => !v.sealed).map((v) => [v.key, v.value, v.secret]).sort();
  assert.deepEqual(shape(staging), shape(production), 'every value and its secret flag arrive');
  assert.ok(!staging.some((v) => v.key === 'SEALED_TOKEN'), 'a sealed variable is not exported');

  // `import` with no file reads standard input (`wharf variables import < env_backup.txt`).
  await ok(['environment', 'create', 'qa'], dir);
  const piped = await cliWithInput(['variables', 'import', '-e', 'qa', '--skip-deploy'], exported.stdout, dir);
  assert.equal(piped.code, 0, out(piped));
  assert.deepEqual(shape(await variables(['--reveal', '-e', 'qa'], dir)), shape(production));

  // A masked file (what `export` wrote before) is refused, naming its keys; nothing is stored.
  const masked = await cliWithInput(['variables', 'import', '-e', 'qa', '--skip-deploy'], "API_KEY='********'\nDB_PASSWORD=********\nOTHER=fine\n", dir);
  assert.equal(masked.code, 1, out(masked));
  assert.match(masked.stderr, /API_KEY/);
  assert.match(masked.stderr, /DB_PASSWORD/);
  const qa = await variables(['--reveal', '-e', 'qa'], dir);
  assert.equal(qa.find((v) => v.key === 'API_KEY')?.value, 'sk_live_0123456789');
  assert.ok(!qa.some((v) => v.key === 'OTHER'), 'nothing of a refused file is stored');

  // `--kv`: KEY=VALUE lines, as `railway variables --kv` prints them.
  const kv = await ok(['variables', '--kv'], dir);
  assert.deepEqual(parseDotenv(kv.stdout), parsed);
  assert.match(kv.stdout, /^PLAIN=plain-value$/m);
});

test('Railway verbs: list, service NAME, deployments list, rollback --deployment-id, logs --tail, run CMD --flags', async () => {
  // Its own service name: until hosts are unique per project, two projects' `web` share one.
  const dir = await fixture('verbs');
  await ok(['init', '--name', 'verbs', '-s', 'api'], dir);
  await ok(['up'], dir);
  await ok(['variables', 'set', 'GREETING=second'], dir);
  let last: string | null | undefined;
  await waitFor(async () => (last = await appValue(dir, 'GREETING', 'api')) === 'second', { timeoutMs: 60_000, what: () => `the redeploy with GREETING (last: ${last})` });

  const list = await ok(['list'], dir);
  assert.match(list.stdout, /verbs/);

  // `wharf service NAME` links the folder to a service: another folder, same project.
  const other = path.join(wharf.home, `other-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(other);
  await ok(['link', 'verbs'], other);
  const linked = await ok(['service', 'api'], other);
  assert.match(linked.stdout, /api/);
  const deployments = parseJson<DeploymentView[]>(await ok(['deployments', 'list', '--json'], other));
  assert.equal(deployments.length, 2, JSON.stringify(deployments));
  assert.match((await ok(['deployments', 'list'], other)).stdout, /#2/);
  const unknown = await fails(['service', 'nope'], other);
  assert.match(unknown.stderr, /api/, 'the error names the services there are');

  const first = deployments.find((d) => d.number === 1)!;
  await ok(['rollback', '--deployment-id', first.id], other);
  assert.equal(await appValue(dir, 'GREETING', 'api'), null, 'the first deployment had no GREETING');

  // `logs --tail` streams (like `railway logs --tail`) until interrupted.
  const tail = spawn(process.execPath, [CLI, 'logs', '--tail'], { cwd: dir, env: wharf.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let streamed = '';
  tail.stdout.on('data', (d: Buffer) => (streamed += d.toString()));
  const exited = new Promise<number | null>((resolve) => tail.on('exit', (code) => resolve(code)));
  try {
    await waitFor(() => /vars-app listening/.test(streamed), { timeoutMs: 30_000, what: () => `logs --tail to stream (got: ${streamed})` });
  } finally {
    tail.kill('SIGINT');
  }
  assert.equal(await exited, 130);

  // Options after the command belong to the command: no `--` needed (-e and -s are ours too).
  const argvFile = path.join(dir, 'argv.js');
  await writeFile(argvFile, 'console.log(JSON.stringify({ argv: process.argv.slice(2), greeting: process.env.GREETING ?? null }));\n');
  const run = await ok(['run', 'node', argvFile, '-A', 'core', 'inspect', '--fake-initial', '-e', 'x', '-s', 'y', '--json'], dir);
  assert.deepEqual(JSON.parse(run.stdout), { argv: ['-A', 'core', 'inspect', '--fake-initial', '-e', 'x', '-s', 'y', '--json'], greeting: 'second' });
  const python = await ok(['run', 'python3', '-c', 'import os,sys; print(sys.argv[1:], os.environ.get("GREETING"))', '-m', 'x'], dir);
  assert.equal(python.stdout.trim(), "['-m', 'x'] second");
  // Our own options before the command, and the old `--` shape, still work.
  const withService = await ok(['run', '-s', 'api', '--', 'node', argvFile, '--remote'], other);
  assert.deepEqual(JSON.parse(withService.stdout).argv, ['--remote']);
  const remote = await ok(['run', '--remote', 'node', '-e', 'console.log(process.env.GREETING ?? "none")'], dir);
  assert.equal(remote.stdout.trim(), 'none', 'the remote command runs in the rolled-back deployment');
});

test('settings prints structured settings as JSON, not [object Object]', async () => {
  const dir = await fixture('settings');
  await ok(['init', '--name', 'settings'], dir);
  await ok(['variables', '--skip-deploy', '--set', 'X=1'], dir);
  const checks = [{ type: 'http', path: '/health' }];
  const set = await ok(['settings', '--set', `postDeployChecks=${JSON.stringify(checks)}`], dir);
  assert.doesNotMatch(set.stdout, /\[object Object\]/);
  const shown = await ok(['settings'], dir);
  assert.doesNotMatch(shown.stdout, /\[object Object\]/);
  assert.match(shown.stdout, /postDeployChecks\s+\[\{"type":"http"/);
});

test('redeploy of a cron service prints no URL (a cron service has no route)', async () => {
  const dir = path.join(wharf.home, `cron-${Math.random().toString(36).slice(2, 8)}`);
  await cp(path.join(REPO, 'examples/cron-job'), dir, { recursive: true });
  await ok(['init', '--name', 'crons'], dir);
  // init linked `web`; a first deploy under another name takes its place in the link.
  await ok(['up', '--kind', 'cron', '-s', 'nightly'], dir);
  const redeploy = await ok(['redeploy'], dir);
  assert.match(redeploy.stdout, /Deployment #2 is live/);
  assert.doesNotMatch(redeploy.stdout, /https?:\/\//, redeploy.stdout);
  assert.match(redeploy.stdout, /cron/);
});

test('status shows a database with its real state; every db subcommand takes --database, defaulting to the only one', async () => {
  const dir = await fixture('dbs');
  await ok(['init', '--name', 'dbshape'], dir);
  await ok(['up'], dir);
  await ok(['add', 'redis', '--name', 'cache'], dir);
  const shown = await ok(['status'], dir);
  const row = shown.stdout.split('\n').find((l) => l.startsWith('cache'));
  assert.ok(row, shown.stdout);
  assert.doesNotMatch(row, /not deployed/);
  assert.match(row, /READY/);

  // From the app's folder (linked to web), with no name: the project's only database.
  const backup = parseJson<{ id: string; status: string }>(await ok(['db', 'backup', '--json'], dir));
  assert.equal(backup.status, 'SUCCEEDED');
  const listed = parseJson<Array<{ id: string }>>(await ok(['db', 'list-backups', '--json'], dir));
  assert.ok(listed.some((b) => b.id === backup.id));
  assert.ok(parseJson<Array<{ id: string }>>(await ok(['db', 'list-backups', '--database', 'cache', '--json'], dir)).some((b) => b.id === backup.id));
  await ok(['db', 'restore', '--backup', backup.id, '--database', 'cache', '--yes'], dir);
  await ok(['db', 'restore', backup.id, '--yes'], dir);
  assert.match((await ok(['db', 'url'], dir)).stdout, /^redis:\/\//);

  const unknown = await fails(['db', 'backup', '--database', 'nope'], dir);
  assert.match(unknown.stderr, /nope/);
  assert.match(unknown.stderr, /cache/, 'the error names the project’s databases');

  await ok(['add', 'redis', '--name', 'queue'], dir);
  const ambiguous = await fails(['db', 'backup'], dir);
  assert.match(ambiguous.stderr, /cache/);
  assert.match(ambiguous.stderr, /queue/);
  assert.match(ambiguous.stderr, /--database/);
  await ok(['db', 'backup', 'queue'], dir);
});

/** Whether a program is on this machine's PATH (the local `wharf run` starts it here). */
function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Waits until no deployment of the project's environment is in flight. */
async function settled(cwd: string): Promise<void> {
  let last = '';
  await waitFor(async () => {
    const result = await wharf.cli(['status', '--json'], { cwd });
    last = out(result);
    assert.equal(result.code, 0, last);
    const list = parseJson<ServiceStatusView[]>(result);
    last = JSON.stringify(list.map((s) => [s.service, s.latestDeployment?.status]));
    return list.every((s) => !['QUEUED', 'BUILDING', 'DEPLOYING'].includes(s.latestDeployment?.status ?? ''));
  }, { timeoutMs: 90_000, what: () => `no deployment in flight (last: ${last})` });
}

test('every row of docs/cli.md’s Railway table runs on a real server, top to bottom in one folder', async (t) => {
  const dir = path.join(wharf.home, `railway-table-${Math.random().toString(36).slice(2, 8)}`);
  await cp(path.join(REPO, 'test/fixtures/vars-app'), dir, { recursive: true });
  // What the seeds' commands run: `python -m app.cron.check`, `python manage.py migrate`.
  await mkdir(path.join(dir, 'app/cron'), { recursive: true });
  await writeFile(path.join(dir, 'app/__init__.py'), '');
  await writeFile(path.join(dir, 'app/cron/__init__.py'), '');
  await writeFile(path.join(dir, 'app/cron/check.py'), 'import os\nprint("check ran, JWT_SECRET set:", bool(os.environ.get("JWT_SECRET")))\n');
  await writeFile(path.join(dir, 'manage.py'), 'import sys\nprint("manage.py", " ".join(sys.argv[1:]))\n');
  const project = suggestName(path.basename(dir));

  const notRun: string[] = [];
  let initialised = false;
  for (const row of readRailwayTable(REPO)) {
    let argv = row.argv.map((a) => (a === 'PROJECT' ? project : a));
    if (argv.includes('ID')) {
      const first = parseJson<DeploymentView[]>(await ok(['deployments', '--json'], dir)).find((d) => d.number === 1);
      assert.ok(first, 'deployment #1 exists');
      argv = argv.map((a) => (a === 'ID' ? first.id : a));
    }
    if (argv[0] === 'exec' && argv.includes('-it')) {
      notRun.push(`${row.wharf}: needs a terminal (test/e2e/exec-tty.test.ts covers -it)`);
      continue;
    }
    const local = argv[0] === 'run' && !argv.includes('--remote') ? argv.find((a, i) => i > 0 && !a.startsWith('-')) : undefined;
    if (local && !onPath(local)) {
      notRun.push(`${row.wharf}: ${local} is not installed here`);
      continue;
    }
    if (argv.includes('--tail')) {
      const child = spawn(process.execPath, [CLI, ...argv], { cwd: dir, env: wharf.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let streamed = '';
      child.stdout.on('data', (d: Buffer) => (streamed += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await waitFor(() => streamed.length > 0, { timeoutMs: 30_000, what: `${row.wharf} to stream a line` });
      } finally {
        child.kill('SIGINT');
      }
      assert.equal(await exited, 130, row.wharf);
      continue;
    }
    const result = row.stdinFile ? await cliWithInput(argv, await readFile(path.join(dir, row.stdinFile), 'utf8'), dir) : await wharf.cli(argv, { cwd: dir });
    assert.equal(result.code, 0, `${row.railway} → ${row.wharf}: ${out(result)}`);
    if (row.stdoutFile) await writeFile(path.join(dir, row.stdoutFile), result.stdout);
    if (argv[0] === 'run' && argv.includes('app.cron.check')) assert.match(result.stdout, /check ran, JWT_SECRET set: True/, row.wharf);
    if (argv[0] === 'run' && argv.includes('manage.py')) assert.match(result.stdout, /manage\.py migrate --fake-initial/, row.wharf);
    // Before `wharf init` the folder has no project to ask about.
    if (argv[0] === 'init') initialised = true;
    if (initialised) await settled(dir);
  }
  for (const line of notRun) t.diagnostic(`not run: ${line}`);
  assert.ok(notRun.length <= 2, notRun.join('\n'));
});
