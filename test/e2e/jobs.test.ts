import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeploymentView, LogLineView, ServiceStatusView } from '../../src/core/api.js';
import { copyExample, parseJson, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// Services that are not web apps, through the real CLI and server: a worker (no port, no
// route, restarted by its policy) and a cron service (examples/cron-job: nothing stays running,
// runs on demand and on schedule, recorded).

let wharf: Wharf;
let workerDir: string;
let cronDir: string;

interface CronJobView {
  service: string;
  schedule: string | null;
  explanation: string | null;
  nextRuns: string[];
  concurrencyPolicy: string;
  deployed: boolean;
  lastRun: { status: string } | null;
}
interface CronRunView {
  id: string;
  scheduledAt: string;
  reason: string;
  status: string;
  exitCode: number | null;
  detail: string | null;
}

const statusOf = async (service: string, cwd: string) => {
  const all = parseJson<ServiceStatusView[]>(await wharf.cli(['status', '--json'], { cwd }));
  const found = all.find((s) => s.service === service);
  assert.ok(found, `status lists ${service}: ${JSON.stringify(all.map((s) => s.service))}`);
  return found;
};

before(async () => {
  wharf = await startWharf();
  workerDir = await copyExample('worker', wharf.home);
  cronDir = await copyExample('cron-job', wharf.home);
  const init = await wharf.cli(['init', '--name', 'jobs'], { cwd: workerDir });
  assert.equal(init.code, 0, init.stderr);
  const link = await wharf.cli(['link', 'jobs'], { cwd: cronDir });
  assert.equal(link.code, 0, link.stderr);
});
after(async () => {
  await wharf.cleanup();
});

test('a worker deploys with --kind worker: no route, its logs show the jobs it processes', async () => {
  const up = await wharf.cli(['up', '--kind', 'worker', '--service', 'worker'], { cwd: workerDir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  assert.match(up.stdout, /Deployment #1 is live \(worker: no route\)/);
  assert.doesNotMatch(up.stdout, /http:\/\//, 'no URL is shown for a worker');

  const status = await statusOf('worker', workerDir);
  assert.equal(status.kind, 'worker');
  assert.equal(status.activeDeployment?.status, 'ACTIVE');
  assert.equal(status.replicas.length, 1);
  assert.equal(status.replicas[0]!.port, null, 'a worker gets no port');
  assert.equal((await wharf.get('worker-production-jobs.localhost', '/')).status, 404, 'a worker has no route');

  await waitFor(
    async () => {
      const logs = await wharf.cli(['logs', '-s', 'worker', '--json'], { cwd: workerDir });
      assert.equal(logs.code, 0, logs.stdout + logs.stderr);
      return logs.stdout.trim().split('\n').some((l) => /processed job \d+/.test((JSON.parse(l) as LogLineView).m));
    },
    { timeoutMs: 15_000, what: '"processed job" in the worker logs' },
  );
  const text = await wharf.cli(['logs', '-s', 'worker'], { cwd: workerDir });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /processed job 1/);
});

test('a worker that keeps crashing is restarted by its policy and ends CRASHED with the restart count', async () => {
  const set = await wharf.cli(['settings', '-s', 'worker', '--set', 'restartPolicyMaxRetries=2'], { cwd: workerDir });
  assert.equal(set.code, 0, set.stderr);
  const vars = await wharf.cli(['variables', '-s', 'worker', '--set', 'CRASH_AFTER=2'], { cwd: workerDir });
  assert.equal(vars.code, 0, vars.stderr);
  assert.match(vars.stdout, /Redeploying: #2/);

  let latest: DeploymentView | undefined;
  await waitFor(
    async () => {
      [latest] = parseJson<DeploymentView[]>(await wharf.cli(['deployments', '-s', 'worker', '--json'], { cwd: workerDir }));
      return latest?.number === 2 && latest.status === 'CRASHED';
    },
    { timeoutMs: 60_000, what: () => `deployment #2 to be CRASHED (latest: ${JSON.stringify(latest)})` },
  );
  assert.match(latest!.reason ?? '', /exited with code 1 after 2 restart\(s\)/);
  assert.match(latest!.reason ?? '', /crashing after 2 jobs \(CRASH_AFTER=2\)/, 'the last log lines are in the reason');

  // Its log shows the three starts: the first and two restarts.
  const logs = await wharf.cli(['logs', '-s', 'worker', '--deployment', '2', '--json'], { cwd: workerDir });
  assert.equal(logs.code, 0, logs.stdout + logs.stderr);
  const lines = logs.stdout.trim().split('\n').map((l) => (JSON.parse(l) as LogLineView).m);
  assert.equal(lines.filter((m) => /^crashing after 2 jobs/.test(m)).length, 3, lines.join('\n'));
  const events = parseJson<Array<{ kind: string; data?: unknown; message: string }>>(await wharf.cli(['events', '--json'], { cwd: workerDir }));
  assert.ok(events.some((e) => e.kind === 'service.crashed' && /after 2 restart\(s\)/.test(e.message)), JSON.stringify(events));
});

test('examples/cron-job: up makes a cron service from railway.toml; list explains it with 5 next runs at 02:00 UTC; nothing stays running', async () => {
  const up = await wharf.cli(['up', '-s', 'nightly'], { cwd: cronDir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  assert.match(up.stdout, /is live \(cron: runs on schedule/);
  assert.match(up.stdout, /is the build cron runs start from/);

  const list = await wharf.cli(['cron', 'list', '--json'], { cwd: cronDir });
  assert.equal(list.code, 0, list.stderr);
  const jobs = parseJson<CronJobView[]>(list);
  assert.deepEqual(jobs.map((j) => [j.service, j.schedule, j.deployed, j.concurrencyPolicy]), [['nightly', '0 2 * * *', true, 'forbid']]);
  assert.match(jobs[0]!.explanation ?? '', /02:00/);
  assert.equal(jobs[0]!.nextRuns.length, 5);
  let previous = Date.now();
  for (const run of jobs[0]!.nextRuns) {
    assert.match(run, /T02:00:00(\.000)?Z$/, run);
    assert.ok(Date.parse(run) > previous, `${run} is later than the one before`);
    previous = Date.parse(run);
  }
  const text = await wharf.cli(['cron', 'list'], { cwd: cronDir });
  assert.equal(text.code, 0, text.stdout + text.stderr);
  assert.match(text.stdout, /nightly {2}0 2 \* \* \*/);

  const status = await statusOf('nightly', cronDir);
  assert.equal(status.kind, 'cron');
  assert.equal(status.activeDeployment?.status, 'ACTIVE');
  assert.deepEqual(status.replicas, [], 'a cron service keeps nothing running');
  assert.equal((await wharf.get('nightly-production-jobs.localhost', '/')).status, 404);
});

test('cron run runs it now and exits 0 with the report; with FAIL_CHECK=1 it exits 2, the run is FAILED and cron.failed is raised', async () => {
  const ok = await wharf.cli(['cron', 'run', 'nightly'], { cwd: cronDir });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /Started run run[-_]?\w+ of nightly/);
  assert.match(ok.stdout, /Report: 2 of 3 statuses expire within 7 days/);
  assert.match(ok.stdout, /Run \S+: SUCCEEDED \(exit 0\)/);

  const vars = await wharf.cli(['variables', '-s', 'nightly', '--set', 'FAIL_CHECK=1'], { cwd: cronDir });
  assert.equal(vars.code, 0, vars.stderr);
  await waitFor(
    async () => {
      const [d] = parseJson<DeploymentView[]>(await wharf.cli(['deployments', '-s', 'nightly', '--json'], { cwd: cronDir }));
      return d?.number === 2 && d.status === 'ACTIVE';
    },
    { timeoutMs: 60_000, what: 'deployment #2 of nightly (with FAIL_CHECK) to be live' },
  );

  const failed = await wharf.cli(['cron', 'run', 'nightly'], { cwd: cronDir });
  assert.equal(failed.code, 2, failed.stdout + failed.stderr);
  assert.match(failed.stdout, /check failed: FAIL_CHECK=1/);
  assert.match(failed.stdout, /Run \S+: FAILED \(exit 2\)/);

  const history = parseJson<CronRunView[]>(await wharf.cli(['cron', 'history', 'nightly', '--json'], { cwd: cronDir }));
  assert.deepEqual(history.map((r) => [r.reason, r.status, r.exitCode, r.detail]), [
    ['manual', 'FAILED', 2, 'exited with code 2'],
    ['manual', 'SUCCEEDED', 0, null],
  ]);
  const logs = await wharf.cli(['cron', 'logs', 'nightly'], { cwd: cronDir });
  assert.equal(logs.code, 0, logs.stdout + logs.stderr);
  assert.match(logs.stdout, /check failed: FAIL_CHECK=1/, 'cron logs shows the latest run');

  const events = parseJson<Array<{ kind: string; severity: string; message: string }>>(await wharf.cli(['events', '--json'], { cwd: cronDir }));
  const cronFailed = events.filter((e) => e.kind === 'cron.failed');
  assert.equal(cronFailed.length, 1, JSON.stringify(events));
  assert.match(cronFailed[0]!.message, new RegExp(`nightly \\(production\\): cron run ${history[0]!.id} exited with code 2`));

  const status = await statusOf('nightly', cronDir);
  assert.deepEqual(status.replicas, [], 'still nothing running after the runs');
});

test('cron explain works offline; an invalid schedule is rejected naming the minute field', async () => {
  // No server, no project: a port nothing listens on.
  const offline = await wharf.cli(['cron', 'explain', '*/15 * * * *'], { cwd: wharf.home, env: { WHARF_API_URL: 'http://127.0.0.1:9', WHARF_API_PORT: '9' } });
  assert.equal(offline.code, 0, offline.stdout + offline.stderr);
  assert.match(offline.stdout, /^\*\/15 \* \* \* \*: .*15 minutes/);
  const times = offline.stdout.trim().split('\n').slice(1);
  assert.equal(times.length, 5);
  for (const line of times) assert.match(line, /^ {2}\d{4}-\d\d-\d\d \d\d:(00|15|30|45) UTC$/, line);

  const bad = await wharf.cli(['settings', '-s', 'nightly', '--set', 'cronSchedule=61 * * * *'], { cwd: cronDir });
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /minute/i);
  assert.match(bad.stderr, /61/);
  const [job] = parseJson<CronJobView[]>(await wharf.cli(['cron', 'list', '--json'], { cwd: cronDir }));
  assert.equal(job!.schedule, '0 2 * * *', 'the invalid schedule was not saved');
});
