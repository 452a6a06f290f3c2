import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServiceInstance } from '../../src/core/model.js';
import { DEFAULT_SETTINGS, type ServiceSettings } from '../../src/core/settings.js';
import type { DeployContext } from '../../src/server/deploy/context.js';
import { serverOptionsFromEnv } from '../../src/server/options.js';
import { ProcessRuntime } from '../../src/server/runtimes/process/process-runtime.js';
import { StoreCronBackend } from '../../src/server/scheduler/cron-backend.js';
import { FakeClock } from '../../src/server/scheduler/fakes.js';
import { CronScheduler } from '../../src/server/scheduler/scheduler.js';
import type { CronRun } from '../../src/server/store/cron-runs.js';
import { Store } from '../../src/server/store/store.js';
import { Keyring } from '../../src/shared/secrets/keyring.js';
import { waitFor } from '../helpers/wharf.js';

// The cron pieces of the control plane, real except for time: a Store on disk, the real
// ProcessRuntime running each run as a one-off job from a release directory, StoreCronBackend,
// and CronScheduler driven by a FakeClock, so "every minute" takes milliseconds.

const START = '2030-01-01T00:00:30.000Z';
const at = (hhmm: string) => `2030-01-01T${hhmm}:00.000Z`;

// job.js: one line per run naming its scheduled time, a line on stderr, exit EXIT_CODE.
const JOB_JS = `console.log('job ran for ' + process.env.WHARF_CRON_SCHEDULED_AT + ' as ' + process.env.WHARF_CRON_RUN_ID);
console.error('job stderr line');
process.exit(Number(process.env.EXIT_CODE || 0));
`;
// slow.js: writes its pid, then runs until GO_FILE exists (or SLEEP_S seconds pass).
const SLOW_JS = `const fs = require('node:fs');
fs.writeFileSync(process.env.PID_FILE, String(process.pid));
console.log('slow started');
const until = Date.now() + Number(process.env.SLEEP_S || 60) * 1000;
const timer = setInterval(() => {
  if (fs.existsSync(process.env.GO_FILE) || Date.now() > until) {
    clearInterval(timer);
    console.log('slow finished');
  }
}, 50);
`;

const silent = { info() {}, warn() {}, error() {} };

interface Harness {
  home: string;
  /** Where jobs write (they run as their service's own user, which cannot write in home). */
  outbox: string;
  store: Store;
  ctx: DeployContext;
  clock: FakeClock;
  releaseDir: string;
  errors: Array<{ jobId: string; error: unknown }>;
  /** A cron service with a live deployment running `node <script>` with `vars`. */
  cronService(name: string, settings: Partial<ServiceSettings>, script: 'job.js' | 'slow.js', vars?: Record<string, string>): ServiceInstance;
  /** A scheduler over a fresh backend (as after a control-plane restart), stopped at cleanup. */
  scheduler(): { scheduler: CronScheduler; backend: StoreCronBackend };
  history(instanceId: string): CronRun[];
  /** Waits until the run is no longer RUNNING and returns it. */
  finished(runId: string): Promise<CronRun>;
  logOf(run: CronRun): Promise<Array<{ s: string; m: string }>>;
}

async function setup(t: TestContext): Promise<Harness> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'wharf-cron-'));
  const options = serverOptionsFromEnv({ WHARF_HOME: home });
  await mkdir(options.paths.home, { recursive: true });
  const outbox = `${home}-outbox`;
  await mkdir(outbox, { mode: 0o1777 });
  await chmod(outbox, 0o1777);
  const store = Store.open(options.paths.database, Keyring.load({ keyFile: options.paths.secretKey }));
  const runtime = new ProcessRuntime({ replicasDir: options.paths.replicas, work: { appsDir: options.isolation.appsDir, mode: 'link' } });
  // StoreCronBackend uses store, runtime and options only; the rest of the context is not reached.
  const ctx = { store, runtime, options, logger: silent } as unknown as DeployContext;
  const releaseDir = path.join(options.paths.releases, 'shared', 'art-test');
  await mkdir(releaseDir, { recursive: true });
  await writeFile(path.join(releaseDir, 'job.js'), JOB_JS);
  await writeFile(path.join(releaseDir, 'slow.js'), SLOW_JS);
  const { project, environment } = store.projects.createProject('jobs');
  const clock = new FakeClock(START);
  const errors: Harness['errors'] = [];
  const made: Array<{ scheduler: CronScheduler; backend: StoreCronBackend }> = [];

  t.after(async () => {
    for (const { scheduler, backend } of made) {
      scheduler.stop();
      for (const run of store.cronRuns.running()) await backend.cancel(run.id, 'replaced');
    }
    await waitFor(() => store.cronRuns.running().length === 0, { timeoutMs: 10_000, what: 'every run to end at cleanup' });
    store.close();
    await rm(home, { recursive: true, force: true });
    await rm(options.isolation.appsDir, { recursive: true, force: true });
    await rm(outbox, { recursive: true, force: true });
  });

  const h: Harness = {
    home,
    outbox,
    store,
    ctx,
    clock,
    releaseDir,
    errors,
    cronService(name, settings, script, vars = {}) {
      const service = store.projects.createService(project.id, name, 'cron');
      const instance = store.projects.findInstance(service.id, environment.id)!;
      const config: ServiceSettings = { ...DEFAULT_SETTINGS, ...settings };
      store.projects.updateSettings(instance.id, config);
      const artifact = store.artifacts.add({ id: store.artifacts.newId(), instanceId: instance.id, ref: { kind: 'release', releaseDir }, builder: 'COMMANDS', start: { argv: ['node', script], kind: 'worker' } });
      const deployment = store.deployments.create({
        instanceId: instance.id,
        number: store.projects.takeDeploymentNumber(instance.id),
        trigger: 'up',
        sourceDigest: 'test',
        artifactId: artifact.id,
        config,
        variables: vars,
        secretKeys: [],
        warnings: [],
        rollbackOf: null,
      });
      store.deployments.setStatus(deployment.id, 'ACTIVE', 'live');
      store.projects.setActiveDeployment(instance.id, deployment.id);
      return store.projects.getInstance(instance.id);
    },
    scheduler() {
      const backend = new StoreCronBackend(ctx);
      const scheduler = new CronScheduler(backend, clock, { onError: (jobId, error) => errors.push({ jobId, error }) });
      made.push({ scheduler, backend });
      return { scheduler, backend };
    },
    history: (instanceId) => store.cronRuns.history(instanceId, 1000).reverse(),
    async finished(runId) {
      await waitFor(() => store.cronRuns.get(runId).status !== 'RUNNING', { timeoutMs: 15_000, what: `run ${runId} to end (${JSON.stringify(store.cronRuns.get(runId))})` });
      return store.cronRuns.get(runId);
    },
    async logOf(run) {
      assert.ok(run.logFile, `run ${run.id} has a log file`);
      const text = await readFile(run.logFile, 'utf8');
      return text.trim().split('\n').map((l) => JSON.parse(l) as { s: string; m: string });
    },
  };
  return h;
}

/** Moves the fake clock and waits until the scheduler's starts have happened. */
async function advance(h: Harness, scheduler: CronScheduler, ms: number): Promise<void> {
  await h.clock.advance(ms);
  await scheduler.idle();
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('an every-minute cron service runs at the exact scheduled minutes, each run recorded SUCCEEDED with exit 0 and its own log', async (t) => {
  const h = await setup(t);
  const instance = h.cronService('tick', { cronSchedule: '* * * * *' }, 'job.js', { EXIT_CODE: '0' });
  const { scheduler } = h.scheduler();
  const report = await scheduler.start();
  assert.deepEqual(report.map((r) => [r.jobId, r.missed, r.run]), [[instance.id, 0, null]], 'a job never scheduled before has nothing missed');

  // 00:00:59.999: not yet.
  await advance(h, scheduler, 29_999);
  assert.equal(h.history(instance.id).length, 0, 'nothing runs before the first minute');

  for (const minute of ['00:01', '00:02', '00:03']) {
    await advance(h, scheduler, minute === '00:01' ? 1 : 60_000);
    const runs = h.history(instance.id);
    const latest = runs.at(-1)!;
    assert.equal(latest.scheduledAt, at(minute));
    await h.finished(latest.id);
  }

  const runs = h.history(instance.id);
  assert.deepEqual(
    runs.map((r) => [r.scheduledAt, r.reason, r.status, r.exitCode, r.detail]),
    ['00:01', '00:02', '00:03'].map((m) => [at(m), 'schedule', 'SUCCEEDED', 0, null]),
  );
  for (const run of runs) {
    assert.ok(run.startedAt && run.endedAt && run.durationMs !== null && run.durationMs >= 0, JSON.stringify(run));
    assert.equal(run.deploymentId, instance.activeDeploymentId);
    const lines = await h.logOf(run);
    assert.ok(lines.some((l) => l.s === 'out' && l.m === `job ran for ${run.scheduledAt} as ${run.id}`), JSON.stringify(lines));
    assert.ok(lines.some((l) => l.s === 'err' && l.m === 'job stderr line'), JSON.stringify(lines));
    assert.ok(lines.some((l) => l.s === 'sys' && /exited with code 0/.test(l.m)), JSON.stringify(lines));
  }
  assert.equal(h.store.events.list({ kind: 'cron.' }).length, 0, 'successful runs raise no cron events');
  assert.deepEqual(h.errors, []);
});

test('a failing run is FAILED with its exit code and raises a cron.failed event', async (t) => {
  const h = await setup(t);
  const instance = h.cronService('fails', { cronSchedule: '* * * * *' }, 'job.js', { EXIT_CODE: '3' });
  const { scheduler } = h.scheduler();
  await scheduler.start();
  await advance(h, scheduler, 30_000);
  const [started] = h.history(instance.id);
  assert.ok(started, 'the 00:01 run started');
  const run = await h.finished(started.id);
  assert.deepEqual([run.scheduledAt, run.status, run.exitCode, run.detail], [at('00:01'), 'FAILED', 3, 'exited with code 3']);
  const lines = await h.logOf(run);
  assert.ok(lines.some((l) => l.m === `job ran for ${at('00:01')} as ${run.id}`), JSON.stringify(lines));

  const events = h.store.events.list({ kind: 'cron.failed' });
  assert.equal(events.length, 1, JSON.stringify(events));
  assert.equal(events[0]!.severity, 'error');
  assert.equal(events[0]!.data.runId, run.id);
  assert.equal(events[0]!.deploymentId, instance.activeDeploymentId);
  assert.match(events[0]!.message, /^fails \(production\): cron run .* exited with code 3$/);
});

test('forbid: a run due while the previous one still runs is SKIPPED with the reason; the next minute after it ends runs again', async (t) => {
  const h = await setup(t);
  const goFile = path.join(h.outbox, 'go');
  const instance = h.cronService('overlap', { cronSchedule: '* * * * *', cronConcurrencyPolicy: 'forbid' }, 'slow.js', {
    GO_FILE: goFile,
    PID_FILE: path.join(h.outbox, 'overlap.pid'),
    SLEEP_S: '60',
  });
  const { scheduler } = h.scheduler();
  await scheduler.start();
  await advance(h, scheduler, 30_000); // 00:01 starts the slow run
  const first = h.history(instance.id)[0]!;
  assert.equal(first.status, 'RUNNING');
  await waitFor(() => existsSync(path.join(h.outbox, 'overlap.pid')), { timeoutMs: 10_000, what: 'the slow job to start' });

  await advance(h, scheduler, 60_000); // 00:02 while 00:01 still runs
  const skipped = h.history(instance.id)[1]!;
  assert.deepEqual([skipped.scheduledAt, skipped.status, skipped.detail], [at('00:02'), 'SKIPPED', `previous run ${first.id} still running`]);
  assert.equal(h.store.cronRuns.running(instance.id).length, 1, 'no second run started');
  const skipEvents = h.store.events.list({ kind: 'cron.skipped' });
  assert.equal(skipEvents.length, 1);
  assert.match(skipEvents[0]!.message, new RegExp(`run due ${at('00:02').replace(/\./g, '\\.')} skipped: previous run ${first.id} still running`));

  await writeFile(goFile, '');
  assert.equal((await h.finished(first.id)).status, 'SUCCEEDED');
  await advance(h, scheduler, 60_000); // 00:03: nothing running any more
  const third = h.history(instance.id)[2]!;
  assert.deepEqual([third.scheduledAt, third.reason], [at('00:03'), 'schedule']);
  assert.equal((await h.finished(third.id)).status, 'SUCCEEDED');
  assert.deepEqual(h.history(instance.id).map((r) => r.status), ['SUCCEEDED', 'SKIPPED', 'SUCCEEDED']);
});

test('cronTimeoutSeconds: a run that outlives it is TIMED_OUT and its process is really killed', async (t) => {
  const h = await setup(t);
  const pidFile = path.join(h.outbox, 'timeout.pid');
  const instance = h.cronService('hangs', { cronSchedule: '* * * * *', cronTimeoutSeconds: 1 }, 'slow.js', {
    GO_FILE: path.join(h.outbox, 'never'),
    PID_FILE: pidFile,
    SLEEP_S: '60',
  });
  const { scheduler } = h.scheduler();
  await scheduler.start();
  await advance(h, scheduler, 30_000);
  const started = h.history(instance.id)[0]!;
  await waitFor(() => existsSync(pidFile), { timeoutMs: 10_000, what: 'the job to write its pid' });
  const pid = Number(await readFile(pidFile, 'utf8'));
  assert.ok(pidAlive(pid), 'the job runs');

  const run = await h.finished(started.id);
  assert.deepEqual([run.status, run.detail], ['TIMED_OUT', 'timed out after 1 s']);
  assert.ok(run.durationMs! < 10_000, `ended by the 1 s timeout, not by the job (${run.durationMs} ms)`);
  await waitFor(() => !pidAlive(pid), { timeoutMs: 5_000, what: `process ${pid} to be gone` });
  const lines = await h.logOf(run);
  assert.ok(lines.some((l) => l.m === 'slow started'));
  assert.ok(!lines.some((l) => l.m === 'slow finished'), 'the job never finished on its own');
  const events = h.store.events.list({ kind: 'cron.timed_out' });
  assert.equal(events.length, 1, JSON.stringify(h.store.events.list({})));
  assert.equal(events[0]!.data.runId, run.id);
});

test("the scheduler's own timeout (on its clock) cancels a run whose runtime did not stop it: TIMED_OUT", async (t) => {
  const h = await setup(t);
  const pidFile = path.join(h.outbox, 'sched-timeout.pid');
  // Hourly, so only the manual run happens; the runtime's own timeout (120 real seconds) never comes.
  const instance = h.cronService('long', { cronSchedule: '0 * * * *', cronTimeoutSeconds: 120 }, 'slow.js', {
    GO_FILE: path.join(h.outbox, 'never'),
    PID_FILE: pidFile,
    SLEEP_S: '300',
  });
  const { scheduler } = h.scheduler();
  await scheduler.start();
  const started = await scheduler.trigger(instance.id);
  await waitFor(() => existsSync(pidFile), { timeoutMs: 10_000, what: 'the job to write its pid' });
  const pid = Number(await readFile(pidFile, 'utf8'));
  await advance(h, scheduler, 119_000);
  assert.equal(h.store.cronRuns.get(started.runId).status, 'RUNNING', 'not before its timeout');
  await advance(h, scheduler, 1_000);
  const run = await h.finished(started.runId);
  assert.equal(run.status, 'TIMED_OUT');
  await waitFor(() => !pidAlive(pid), { timeoutMs: 5_000, what: `process ${pid} to be gone` });
});

test('trigger() runs the job now as a manual run; under forbid a second trigger while it runs is refused', async (t) => {
  const h = await setup(t);
  const instance = h.cronService('manual', { cronSchedule: '0 2 * * *' }, 'job.js', { EXIT_CODE: '0' });
  const { scheduler } = h.scheduler();
  await scheduler.start();
  await advance(h, scheduler, 10_000); // 00:00:40
  const started = await scheduler.trigger(instance.id);
  assert.deepEqual([started.outcome, started.reason, started.scheduledAt.toISOString()], ['started', 'manual', '2030-01-01T00:00:40.000Z']);
  const run = await h.finished(started.runId);
  assert.deepEqual([run.reason, run.scheduledAt, run.status, run.exitCode], ['manual', '2030-01-01T00:00:40.000Z', 'SUCCEEDED', 0]);
  assert.ok((await h.logOf(run)).some((l) => l.m === `job ran for 2030-01-01T00:00:40.000Z as ${run.id}`));
  assert.equal(h.store.cronRuns.lastScheduledAt(instance.id), null, 'a manual run is not a scheduled time');

  const slow = h.cronService('manual-slow', { cronSchedule: '0 2 * * *' }, 'slow.js', {
    GO_FILE: path.join(h.outbox, 'go-manual'),
    PID_FILE: path.join(h.outbox, 'manual.pid'),
  });
  scheduler.reload();
  const first = await scheduler.trigger(slow.id);
  await assert.rejects(scheduler.trigger(slow.id), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'CONFLICT');
    assert.match(error.message, new RegExp(`already running \\(run ${first.runId}\\)`));
    return true;
  });
  await writeFile(path.join(h.outbox, 'go-manual'), '');
  assert.equal((await h.finished(first.runId)).status, 'SUCCEEDED');
  assert.equal(h.history(slow.id).length, 1, 'the refused trigger recorded nothing');

  await assert.rejects(scheduler.trigger('si-nope'), /There is no cron job "si-nope"/);
});

test('after downtime the missed times are recorded MISSED; with cronRunMissed the latest one runs once', async (t) => {
  const h = await setup(t);
  const instance = h.cronService('catchup', { cronSchedule: '* * * * *' }, 'job.js', { EXIT_CODE: '0' });
  const first = h.scheduler();
  await first.scheduler.start();
  await advance(h, first.scheduler, 30_000); // 00:01 runs
  await h.finished(h.history(instance.id)[0]!.id);
  first.scheduler.stop();

  // The control plane is down for three minutes: nothing fires.
  await h.clock.advance(3 * 60_000); // now 00:04:00
  assert.equal(h.history(instance.id).length, 1, 'nothing ran while down');

  const second = h.scheduler();
  const [report] = await second.scheduler.start();
  assert.deepEqual([report!.jobId, report!.missed, report!.truncated, report!.run], [instance.id, 3, false, null]);
  assert.deepEqual(
    h.history(instance.id).map((r) => [r.scheduledAt, r.status]),
    [[at('00:01'), 'SUCCEEDED'], [at('00:02'), 'MISSED'], [at('00:03'), 'MISSED'], [at('00:04'), 'MISSED']],
  );
  const missed = h.history(instance.id).filter((r) => r.status === 'MISSED');
  assert.ok(missed.every((r) => r.detail === 'the control plane was not running at the scheduled time' && r.exitCode === null && r.logFile === null));
  assert.equal(h.store.events.list({ kind: 'cron.missed' }).length, 3);
  assert.equal(h.store.cronRuns.running(instance.id).length, 0, 'without cronRunMissed nothing runs');
  second.scheduler.stop();

  // Down again for two minutes, now with cronRunMissed.
  h.store.projects.updateSettings(instance.id, { ...h.store.projects.getInstance(instance.id).settings, cronRunMissed: true });
  await h.clock.advance(2 * 60_000); // now 00:06:00
  const third = h.scheduler();
  const [again] = await third.scheduler.start();
  assert.equal(again!.missed, 2);
  assert.equal(again!.run?.outcome, 'started');
  const caughtUp = again!.run!.outcome === 'started' ? again!.run!.runId : '';
  const run = await h.finished(caughtUp);
  assert.deepEqual([run.scheduledAt, run.reason, run.status, run.exitCode], [at('00:06'), 'missed', 'SUCCEEDED', 0]);
  assert.ok((await h.logOf(run)).some((l) => l.m === `job ran for ${at('00:06')} as ${run.id}`));
  assert.deepEqual(
    h.history(instance.id).slice(4).map((r) => [r.scheduledAt, r.reason, r.status]),
    [[at('00:05'), 'schedule', 'MISSED'], [at('00:06'), 'schedule', 'MISSED'], [at('00:06'), 'missed', 'SUCCEEDED']],
  );

  // And it carries on on schedule afterwards.
  await advance(h, third.scheduler, 60_000);
  const next = h.history(instance.id).at(-1)!;
  assert.deepEqual([next.scheduledAt, next.reason], [at('00:07'), 'schedule']);
  await h.finished(next.id);
});
