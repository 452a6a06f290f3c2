import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { spawn as spawnPty, type IPty } from 'node-pty';
import type { DeploymentView, LogLineView, ServiceStatusView } from '../../src/core/api.js';
import { dockerSkip, dockerEngine, dockerWharfEnv, ensureBaseImages } from '../helpers/docker.js';
import { removeServerResources, wharfHomeLabel } from '../helpers/docker-server.js';
import { copyExample, parseJson, REPO, startWharf, succeeded, waitFor, type CliResult, type Wharf } from '../helpers/wharf.js';
import { describeWrk, findWrk, startWrk, type WrkRun } from '../helpers/wrk.js';

// Issue 13's deploy story on a real Wharf on the docker runtime: the real CLI (`wharf up`), the
// real router and a real engine. One server, one project (dk), phases in order:
//   web (a multi-stage Dockerfile) → worker (Dockerfile.worker) → a code-only redeploy under wrk
//   load (cached layers, zero failed requests) → a failing health check (old containers keep
//   serving) → rollback (the kept image, no rebuild) → exec and cron in containers → an
//   auto-detected Node app (a generated Dockerfile) → status/logs.
// Timings go to the diagnostics, never into assertions. Everything the server made on the engine
// carries its wharf.home label; after() removes it.

const FIXTURES = path.join(REPO, 'test/fixtures/docker-apps');
const CLI = path.join(REPO, 'bin/wharf.js');
const PROJECT = 'dk';
const WEB_HOST = `web-production-${PROJECT}.localhost`;
const AUTO_HOST = `auto-production-${PROJECT}.localhost`;

const skip = await dockerSkip();
let wharf: Wharf | undefined;
let docker: Docker;
let webDir: string;
const wrkRuns: WrkRun[] = [];
const terminals: IPty[] = [];
const started = Date.now();
/** Per phase: what it took, printed at the end of each test and collected for the summary. */
const phases: string[] = [];
/** Deployment #1's image ID, for the rollback. */
let firstImageId = '';

function w(): Wharf {
  assert.ok(wharf, 'the Wharf did not start');
  return wharf;
}

function cli(args: string[], cwd = webDir, timeoutMs = 240_000): Promise<CliResult> {
  return w().cli(args, { cwd, timeoutMs });
}

function phase(t: TestContext, name: string, since: number): void {
  const line = `${name}: ${((Date.now() - since) / 1000).toFixed(1)} s (at ${((Date.now() - started) / 1000).toFixed(1)} s)`;
  phases.push(line);
  t.diagnostic(line);
}

async function deployments(service: string, cwd = webDir): Promise<DeploymentView[]> {
  return parseJson<DeploymentView[]>(await cli(['deployments', '-s', service, '--json'], cwd));
}

async function statusOf(service: string, cwd = webDir): Promise<ServiceStatusView> {
  const all = parseJson<ServiceStatusView[]>(await cli(['status', '--json'], cwd));
  const found = all.find((s) => s.service === service);
  assert.ok(found, `status lists ${service}: ${JSON.stringify(all.map((s) => s.service))}`);
  return found;
}

async function version(host = WEB_HOST): Promise<string> {
  const res = await w().get(host, '/');
  assert.equal(res.status, 200, `GET / on ${host}: ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { version: string }).version;
}

function homeLabel(): string {
  return wharfHomeLabel(w().home);
}

/** The server's containers on the engine (all states), optionally of one deployment. */
async function containersOf(deploymentId?: string): Promise<Docker.ContainerInfo[]> {
  const label = [`wharf.home=${homeLabel()}`, ...(deploymentId ? [`wharf.deployment=${deploymentId}`] : [])];
  return docker.listContainers({ all: true, filters: JSON.stringify({ label }) });
}

describe('docker runtime: the deploy story end to end', { skip, timeout: 420_000 }, () => {
  before(async () => {
    docker = (await dockerEngine()) as Docker;
    await ensureBaseImages();
    wharf = await startWharf(dockerWharfEnv({ WHARF_DRAIN_TIMEOUT_MS: '3000' }));
    webDir = path.join(wharf.home, 'src-multistage');
    await cp(path.join(FIXTURES, 'multistage'), webDir, { recursive: true });
    succeeded(await cli(['init', '--name', PROJECT]), 'wharf init');
    // The engine's build cache outlives the images cleanup removes: a fresh nonce per run makes
    // the first build run its RUN steps (their output is asserted), the later ones hit the cache.
    succeeded(await cli(['variables', '--skip-deploy', '--set', `BUILD_NONCE=${Date.now()}`]), 'wharf variables');
  });

  after(async () => {
    for (const run of wrkRuns) run.kill();
    for (const t of terminals) {
      try {
        t.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (!wharf) return;
    const home = wharf.home;
    await wharf.cleanup();
    const removed = await removeServerResources(docker, home);
    console.log(`# phases: ${phases.join('; ')}`);
    console.log(`# cleanup: ${removed}; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  test('a multi-stage Dockerfile app deploys with wharf up and answers through the router; the build log shows BuildKit steps', async (t) => {
    const since = Date.now();
    const up = succeeded(await cli(['up']), 'wharf up (web)');
    phase(t, 'build+deploy v1 (cold)', since);
    t.diagnostic(`v1 image build: ${up.stdout.match(/build finished in [\d.]+ s/)?.[0] ?? 'no time in the log'}`);
    // BuildKit's plain progress, line by line, streamed to the CLI: both stages' steps.
    assert.match(up.stdout, /#\d+ \[build \d\/\d\] RUN node -e/, up.stdout);
    assert.match(up.stdout, /#\d+ \[stage-1 \d\/\d\] COPY --from=build/, up.stdout);
    assert.match(up.stdout, /#\d+ \d+\.\d+ build stage: node v20\S*, nonce \d+/, 'a RUN step\'s own output');
    assert.match(up.stdout, /#\d+ DONE \d/);
    assert.match(up.stdout, /is live/);
    const answer = JSON.parse((await w().get(WEB_HOST, '/')).body) as { version: string; built: boolean };
    assert.deepEqual(answer, { app: 'docker-multistage', version: 'v1', built: true });

    const [d1] = await deployments('web');
    assert.equal(d1!.status, 'ACTIVE');
    const running = (await containersOf(d1!.id)).filter((c) => c.State === 'running');
    assert.equal(running.length, 1, JSON.stringify(running));
    firstImageId = running[0]!.ImageID;
    // A Dockerfile's USER is who its program runs as (not Wharf's per-service uid).
    assert.equal((await docker.getContainer(running[0]!.Id).inspect()).Config.User, 'node');
    const image = await docker.getImage(firstImageId).inspect();
    assert.equal(image.Config.User, 'node', 'the runtime stage is the image');
    t.diagnostic(`deployment #1 image ${firstImageId.slice(0, 19)}, ${(image.Size / 1e6).toFixed(0)} MB`);
  });

  test('a Dockerfile.worker service (railway.json build.dockerfilePath) runs beside it: logs, no route', async (t) => {
    const since = Date.now();
    const dir = path.join(w().home, 'src-worker');
    await cp(path.join(FIXTURES, 'worker'), dir, { recursive: true });
    succeeded(await cli(['link', PROJECT], dir), 'wharf link');
    const up = succeeded(await cli(['up', '--kind', 'worker', '-s', 'worker'], dir), 'wharf up (worker)');
    phase(t, 'build+deploy worker', since);
    assert.match(up.stdout, /Dockerfile\.worker/, up.stdout);
    assert.doesNotMatch(up.stdout, /the default Dockerfile was built/);
    assert.match(up.stdout, /no route/);

    await waitFor(
      async () => {
        const logs = succeeded(await cli(['logs', '-s', 'worker', '--json'], dir), 'wharf logs');
        return logs.stdout.trim().split('\n').some((l) => /docker worker: processed job \d+/.test((JSON.parse(l) as LogLineView).m));
      },
      { timeoutMs: 20_000, what: '"processed job" in the worker logs' },
    );
    const status = await statusOf('worker', dir);
    assert.equal(status.kind, 'worker');
    assert.equal(status.activeDeployment?.status, 'ACTIVE');
    assert.deepEqual(status.replicas.map((r) => [r.state, r.port]), [['running', null]]);
    assert.equal((await w().get(`worker-production-${PROJECT}.localhost`, '/')).status, 404, 'a worker has no route');
    assert.equal(await version(), 'v1', 'the web service still answers beside it');
  });

  test('a code-only change redeploys under wrk load with zero failed requests; the build reuses cached layers', async (t) => {
    const since = Date.now();
    await writeFile(path.join(webDir, 'version.txt'), 'v2\n');
    const wrk = findWrk();
    const load = wrk ? startWrk({ port: w().routerPort, host: WEB_HOST, path: '/', threads: 1, connections: 4, durationS: 180, bin: wrk }) : null;
    if (load) wrkRuns.push(load);
    else t.diagnostic('wrk is not installed: the zero-downtime part runs with the test\'s own probe only');
    const probeFailures: string[] = [];
    const seen = new Set<string>();
    let done = false;
    const up = cli(['up']).finally(() => (done = true));
    const probe = (async () => {
      for (let i = 0; !done && i < 20_000; i++) {
        const res = await w().get(WEB_HOST, '/').catch((e: Error) => ({ status: 0, body: e.message }));
        if (res.status !== 200) probeFailures.push(`${res.status} ${res.body.slice(0, 80)}`);
        else seen.add((JSON.parse(res.body) as { version: string }).version);
        await sleep(20);
      }
    })();
    const result = await up;
    await probe;
    phase(t, 'build+deploy v2 (code-only change, under load)', since);
    await sleep(500);
    load?.stop();
    const figures = load ? await load.result : null;
    if (figures) t.diagnostic(`wrk /: ${describeWrk(figures)}`);
    succeeded(result, 'wharf up (v2)');
    t.diagnostic(`v2 image build: ${result.stdout.match(/build finished in [\d.]+ s/)?.[0] ?? 'no time in the log'}`);

    const cached = result.stdout.split('\n').filter((l) => /^#\d+ CACHED/.test(l.trim()) || / CACHED$/.test(l.trim()));
    t.diagnostic(`cached steps in the v2 build: ${cached.length}; ${result.stdout.match(/\d+ cached steps?/)?.[0] ?? 'no count line'}`);
    assert.ok(cached.length >= 3, `CACHED steps in the build log:\n${result.stdout}`);
    if (figures) {
      assert.deepEqual(figures.socketErrors, { connect: 0, read: 0, write: 0, timeout: 0 }, figures.output);
      assert.equal(figures.non2xx, 0, figures.output);
      assert.ok(figures.requests > 0, figures.output);
    }
    assert.deepEqual(probeFailures, [], 'requests through the router failed during the redeploy');
    assert.equal(await version(), 'v2');
  });

  test('a deploy whose health check answers 500 fails; the previous container keeps serving; none of the failed one is left', async (t) => {
    const since = Date.now();
    const before = await deployments('web');
    const active = before.find((d) => d.status === 'ACTIVE')!;
    const activeContainers = (await containersOf(active.id)).map((c) => c.Id);
    const answers = new Map<string, number>();
    // Probed until the new deployment has failed (the CLI may return once it is queued).
    let failed: DeploymentView | undefined;
    const probe = (async () => {
      for (let i = 0; failed?.status !== 'FAILED' && i < 5_000; i++) {
        const res = await w().get(WEB_HOST, '/').catch((e: Error) => ({ status: 0, body: e.message }));
        const key = res.status === 200 ? (JSON.parse(res.body) as { version: string }).version : `${res.status} ${res.body.slice(0, 60)}`;
        answers.set(key, (answers.get(key) ?? 0) + 1);
        await sleep(50);
      }
    })();
    const result = await cli(['variables', '--set', 'HEALTH_FAIL=1']);
    t.diagnostic(`wharf variables (the failing deploy) exited ${result.code}: ${result.stdout.trim().split('\n').slice(-3).join(' | ')}`);
    try {
      await waitFor(
        async () => {
          const [latest] = await deployments('web');
          if (latest!.number > before[0]!.number) failed = latest;
          return failed?.status === 'FAILED';
        },
        { timeoutMs: 90_000, what: () => `the new deployment to be FAILED (latest: ${JSON.stringify(failed)})` },
      );
    } finally {
      failed ??= { status: 'FAILED' } as DeploymentView; // ends the probe either way
      await probe;
    }
    t.diagnostic(`answers while it deployed and failed: ${JSON.stringify(Object.fromEntries(answers))}`);
    phase(t, 'failing deploy', since);
    t.diagnostic(`reason: ${failed!.reason}`);
    assert.match(failed!.reason ?? '', /health/i, failed!.reason ?? '');
    assert.deepEqual([...answers.keys()], ['v2'], 'every request answered the old version');
    assert.equal(await version(), 'v2');
    const now = await deployments('web');
    assert.equal(now.find((d) => d.status === 'ACTIVE')?.id, active.id, 'the previous deployment is still the active one');
    assert.deepEqual((await containersOf(active.id)).map((c) => c.Id), activeContainers, 'the same containers serve');
    let left: Docker.ContainerInfo[] = [];
    await waitFor(async () => (left = await containersOf(failed!.id)).length === 0, {
      timeoutMs: 20_000,
      what: () => `no container of the failed deployment (left: ${JSON.stringify(left.map((c) => [c.Names, c.State]))})`,
    });
    succeeded(await cli(['variables', '--skip-deploy', '--set', 'HEALTH_FAIL=0']), 'wharf variables (HEALTH_FAIL=0)');
  });

  test('wharf rollback re-runs the kept image of deployment #1 with no rebuild', async (t) => {
    const since = Date.now();
    const result = succeeded(await cli(['rollback', '1']), 'wharf rollback 1');
    phase(t, 'rollback to #1', since);
    assert.match(result.stdout, /reusing artifact/, result.stdout);
    assert.doesNotMatch(result.stdout, /#\d+ \[/, 'no build step ran');
    assert.equal(await version(), 'v1');
    const [latest] = await deployments('web');
    assert.equal(latest!.status, 'ACTIVE');
    const running = (await containersOf(latest!.id)).filter((c) => c.State === 'running');
    assert.equal(running.length, 1);
    assert.equal(running[0]!.ImageID, firstImageId, 'the image of deployment #1');
  });

  test('wharf exec runs in a container: output and exit code come back; -it through a pty too', async (t) => {
    const since = Date.now();
    const out = await cli(['exec', '--', 'sh', '-c', 'echo "in $(cat /app/version.txt) as $(id -un)"; echo to-stderr >&2; exit 3']);
    assert.equal(out.code, 3, `${out.stdout}\n${out.stderr}`);
    assert.match(out.stdout, /in v1 as node/);
    assert.match(out.stderr, /to-stderr/);
    const remote = await cli(['run', '--remote', '--', 'node', '-e', 'console.log("remote", process.env.PORT === undefined ? "no-port" : "port")']);
    assert.equal(remote.code, 0, `${remote.stdout}\n${remote.stderr}`);
    assert.match(remote.stdout, /remote/);

    const pty = spawnPty(process.execPath, [CLI, 'exec', '-it', '--', 'sh'], { name: 'xterm-256color', cols: 97, rows: 29, cwd: webDir, env: { ...w().env, TERM: 'xterm-256color' } });
    terminals.push(pty);
    let screen = '';
    pty.onData((d) => (screen += d));
    let exited: number | null = null;
    const exit = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve((exited = exitCode))));
    await waitFor(() => /[$#] $/.test(screen), {
      timeoutMs: 30_000,
      what: () => `a shell prompt (exit: ${exited}); the terminal shows:\n${screen}\nserver log: ${w().serverLog.join('').slice(-3000)}`,
    });
    pty.write('stty size; echo $((6*7)); exit 5\r');
    const code = await Promise.race([exit, sleep(30_000).then(() => -1)]);
    assert.equal(code, 5, `exec -it exit code; the terminal shows:\n${screen}`);
    assert.match(screen, /29 97/, 'the terminal size reached the container');
    assert.match(screen, /42/);
    await waitFor(async () => (await containersOf()).every((c) => c.Labels['wharf.role'] !== 'exec' && c.Labels['wharf.role'] !== 'job'), {
      timeoutMs: 20_000,
      what: 'the exec and job containers to be removed',
    });
    phase(t, 'exec', since);
  });

  test('a cron service built from a Dockerfile: wharf cron run runs it now in a container, output and exit codes', async (t) => {
    const since = Date.now();
    const dir = path.join(w().home, 'src-cron');
    await cp(path.join(FIXTURES, 'cron'), dir, { recursive: true });
    succeeded(await cli(['link', PROJECT], dir), 'wharf link');
    const up = succeeded(await cli(['up', '-s', 'nightly'], dir), 'wharf up (cron)');
    assert.match(up.stdout, /cron/);
    const ok = await cli(['cron', 'run', 'nightly'], dir);
    assert.equal(ok.code, 0, `${ok.stdout}\n${ok.stderr}`);
    assert.match(ok.stdout, /docker cron: report for \d{4}-\d\d-\d\d as uid 1000/);
    succeeded(await cli(['variables', '-s', 'nightly', '--set', 'CRON_EXIT=4'], dir), 'wharf variables (cron)');
    await waitFor(
      async () => {
        const [d] = await deployments('nightly', dir);
        return d!.number === 2 && d!.status === 'ACTIVE';
      },
      { timeoutMs: 90_000, what: 'the cron service\'s deployment #2' },
    );
    const failing = await cli(['cron', 'run', 'nightly'], dir);
    assert.notEqual(failing.code, 0, `${failing.stdout}\n${failing.stderr}`);
    assert.match(`${failing.stdout}\n${failing.stderr}`, /FAILED \(exit 4\)/);
    t.diagnostic(`wharf cron run of a failing job exited ${failing.code}`);
    phase(t, 'cron', since);
  });

  test('an auto-detected Node app (no Dockerfile) deploys on docker from a generated Dockerfile', async (t) => {
    const since = Date.now();
    const dir = await copyExample('node-web', w().home);
    succeeded(await cli(['link', PROJECT], dir), 'wharf link');
    const up = succeeded(await cli(['up', '-s', 'auto'], dir), 'wharf up (auto)');
    phase(t, 'build+deploy auto-detected node app', since);
    assert.match(up.stdout, /Generated by Wharf from the NODE plan/, up.stdout);
    assert.match(up.stdout, /FROM wharf-local\/node:20\n/, 'the generated Dockerfile starts from WHARF_DOCKER_BASE_NODE');
    assert.match(up.stdout, /#\d+ \[\d\/\d+\] COPY --chown=10001:10001 app\/ \/app\//);
    const res = await w().get(AUTO_HOST, '/');
    assert.equal(res.status, 200, res.body);
    assert.equal((JSON.parse(res.body) as { app: string }).app, 'node-web');
    // An image Wharf generated runs as Wharf's per-service user.
    const [auto] = await deployments('auto', dir);
    const [container] = (await containersOf(auto!.id)).filter((c) => c.State === 'running');
    assert.match((await docker.getContainer(container!.Id).inspect()).Config.User, /^\d+:\d+$/);
  });

  test('status --json and logs work for the docker services', async (t) => {
    const since = Date.now();
    const all = parseJson<ServiceStatusView[]>(await cli(['status', '--json']));
    const byName = Object.fromEntries(all.map((s) => [s.service, s]));
    for (const name of ['web', 'worker', 'auto']) {
      assert.equal(byName[name]?.activeDeployment?.status, 'ACTIVE', `${name}: ${JSON.stringify(byName[name])}`);
      assert.ok(byName[name]!.replicas.every((r) => r.state === 'running'), `${name}: ${JSON.stringify(byName[name]!.replicas)}`);
    }
    const text = succeeded(await cli(['status']), 'wharf status');
    assert.match(text.stdout, /web/);
    const logs = succeeded(await cli(['logs', '-s', 'web']), 'wharf logs');
    assert.match(logs.stdout, /multistage v1 listening on \d+/);
    const build = succeeded(await cli(['logs', '-s', 'web', '--build', '--deployment', '1']), 'wharf logs --build');
    assert.match(build.stdout, /\[build \d\/\d\]/);
    const running = (await containersOf()).filter((c) => c.State === 'running' && c.Labels['wharf.role'] === 'app');
    assert.equal(running.length, 3, `one container each for web, worker and auto: ${JSON.stringify(running.map((c) => c.Names))}`);
    phase(t, 'status and logs', since);
  });
});
