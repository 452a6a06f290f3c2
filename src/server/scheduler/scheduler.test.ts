import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWharfError } from '../../core/errors.js';
import { FakeClock, FakeCronBackend } from './fakes.js';
import { CronScheduler, systemClock, type CronJobDefinition, type CronSchedulerOptions } from './scheduler.js';

const job = (overrides: Partial<CronJobDefinition> = {}): CronJobDefinition => ({
  jobId: 'si-report',
  schedule: '* * * * *',
  concurrencyPolicy: 'forbid',
  timeoutSeconds: null,
  runMissed: false,
  ...overrides,
});

function setup(definitions: CronJobDefinition[], start = '2024-01-01T00:00:30Z', options: CronSchedulerOptions = {}) {
  const clock = new FakeClock(start);
  const backend = new FakeCronBackend(definitions);
  const errors: Array<{ jobId: string; error: unknown }> = [];
  const scheduler = new CronScheduler(backend, clock, { onError: (jobId, error) => errors.push({ jobId, error }), ...options });
  return { clock, backend, scheduler, errors };
}

const at = (iso: string) => new Date(iso).toISOString();

test('an every-minute job runs on time at the exact scheduled minutes, with one timer armed at a time', async () => {
  const { clock, backend, scheduler } = setup([job()]);
  await scheduler.start();
  assert.deepEqual(clock.pending().map((d) => d.toISOString()), [at('2024-01-01T00:01:00Z')]);
  for (let minute = 1; minute <= 5; minute++) {
    await clock.advance(60_000);
    await scheduler.idle();
    const started = backend.callsOf('start').at(-1);
    assert.ok(started);
    backend.finish(started.runId);
    assert.equal(clock.pending().length, 1);
  }
  assert.deepEqual(
    backend.callsOf('start').map((c) => [c.scheduledAt, c.reason]),
    [1, 2, 3, 4, 5].map((m) => [at(`2024-01-01T00:0${m}:00Z`), 'schedule']),
  );
  assert.equal(backend.callsOf('skipped').length + backend.callsOf('missed').length, 0);
  scheduler.stop();
  assert.equal(clock.pending().length, 0);
});

test('forbid: a run due while the previous one runs is recorded skipped, with why', async () => {
  const { clock, backend, scheduler } = setup([job({ concurrencyPolicy: 'forbid' })]);
  await scheduler.start();
  await clock.advance(60_000);
  await clock.advance(60_000);
  await scheduler.idle();
  assert.deepEqual(backend.callsOf('skipped'), [
    { call: 'skipped', jobId: 'si-report', scheduledAt: at('2024-01-01T00:02:00Z'), why: 'previous run run-1 still running' },
  ]);
  backend.finish('run-1');
  await clock.advance(60_000);
  await scheduler.idle();
  assert.deepEqual(
    backend.callsOf('start').map((c) => [c.runId, c.scheduledAt]),
    [
      ['run-1', at('2024-01-01T00:01:00Z')],
      ['run-2', at('2024-01-01T00:03:00Z')],
    ],
  );
});

test('allow: runs overlap', async () => {
  const { clock, backend, scheduler } = setup([job({ concurrencyPolicy: 'allow' })]);
  await scheduler.start();
  await clock.advance(3 * 60_000);
  await scheduler.idle();
  assert.equal(backend.callsOf('start').length, 3);
  assert.deepEqual(backend.running('si-report'), [{ runId: 'run-1' }, { runId: 'run-2' }, { runId: 'run-3' }]);
  assert.equal(backend.callsOf('skipped').length + backend.callsOf('cancel').length, 0);
});

test('replace: the running run is cancelled, then the new one starts', async () => {
  const { clock, backend, scheduler } = setup([job({ concurrencyPolicy: 'replace' })]);
  await scheduler.start();
  await clock.advance(2 * 60_000);
  await scheduler.idle();
  assert.deepEqual(
    backend.calls.map((c) => (c.call === 'start' ? `start ${c.runId}` : c.call === 'cancel' ? `cancel ${c.runId} ${c.why}` : c.call)),
    ['start run-1', 'cancel run-1 replaced', 'start run-2'],
  );
  assert.deepEqual(backend.running('si-report'), [{ runId: 'run-2' }]);
});

test('timeout: the scheduler cancels a run still going after timeoutSeconds, and not one that ended', async () => {
  const { clock, backend, scheduler } = setup([job({ schedule: '*/5 * * * *', timeoutSeconds: 90 })]);
  await scheduler.start(); // 00:00:30 → first run at 00:05
  await clock.advance(4 * 60_000 + 30_000 + 89_000);
  await scheduler.idle();
  assert.equal(backend.callsOf('cancel').length, 0);
  await clock.advance(1_000);
  await scheduler.idle();
  assert.deepEqual(backend.callsOf('cancel'), [{ call: 'cancel', runId: 'run-1', why: 'timeout' }]);

  await clock.advance(3 * 60_000 + 30_000); // 00:10 → run-2, which ends in time
  await scheduler.idle();
  backend.finish('run-2');
  await clock.advance(120_000);
  await scheduler.idle();
  assert.deepEqual(backend.callsOf('start').map((c) => c.runId), ['run-1', 'run-2']);
  assert.deepEqual(backend.callsOf('cancel').map((c) => c.runId), ['run-1']);
});

test('catch-up after a 3-hour outage of an hourly job records 3 missed and runs nothing without runMissed', async () => {
  const { clock, backend, scheduler } = setup([job({ schedule: '0 * * * *' })], '2024-01-01T03:30:00Z');
  backend.last.set('si-report', new Date('2024-01-01T00:00:00Z'));
  const reports = await scheduler.start();
  assert.deepEqual(reports, [{ jobId: 'si-report', missed: 3, truncated: false, run: null }]);
  assert.deepEqual(
    backend.callsOf('missed').map((c) => c.scheduledAt),
    ['01', '02', '03'].map((h) => at(`2024-01-01T${h}:00:00Z`)),
  );
  assert.equal(backend.callsOf('start').length, 0);
  assert.deepEqual(clock.pending().map((d) => d.toISOString()), [at('2024-01-01T04:00:00Z')]);
});

test('catch-up with runMissed runs the latest missed time once, reason missed', async () => {
  const { backend, scheduler } = setup([job({ schedule: '0 * * * *', runMissed: true })], '2024-01-01T03:30:00Z');
  backend.last.set('si-report', new Date('2024-01-01T00:00:00Z'));
  const [report] = await scheduler.start();
  assert.equal(report?.missed, 3);
  assert.equal(report?.run?.outcome, 'started');
  assert.deepEqual(backend.callsOf('start'), [
    { call: 'start', jobId: 'si-report', scheduledAt: at('2024-01-01T03:00:00Z'), reason: 'missed', runId: 'run-1' },
  ]);
});

test('catch-up records at most missedLimit times, the most recent, and says so', async () => {
  const { backend, scheduler } = setup([job()], '2024-01-02T00:00:00Z', { missedLimit: 10 });
  backend.last.set('si-report', new Date('2024-01-01T00:00:00Z'));
  const [report] = await scheduler.start();
  assert.deepEqual(report, { jobId: 'si-report', missed: 10, truncated: true, run: null });
  assert.equal(backend.callsOf('missed').at(-1)?.scheduledAt, at('2024-01-02T00:00:00Z'));
  assert.equal(backend.callsOf('missed')[0]?.scheduledAt, at('2024-01-01T23:51:00Z'));
});

test('a job first seen has no missed runs: its first run is the next scheduled time after now', async () => {
  const { clock, backend, scheduler } = setup([job({ schedule: '0 2 * * *', runMissed: true })], '2024-01-01T05:00:00Z');
  const reports = await scheduler.start();
  assert.deepEqual(reports, [{ jobId: 'si-report', missed: 0, truncated: false, run: null }]);
  assert.deepEqual(clock.pending().map((d) => d.toISOString()), [at('2024-01-02T02:00:00Z')]);

  // The same for a job added while the scheduler runs.
  backend.definitions.push(job({ jobId: 'si-new', schedule: '0 * * * *', runMissed: true }));
  scheduler.reload();
  await clock.advance(60 * 60_000);
  await scheduler.idle();
  assert.equal(backend.callsOf('missed').length, 0);
  assert.deepEqual(backend.callsOf('start').map((c) => [c.jobId, c.scheduledAt, c.reason]), [['si-new', at('2024-01-01T06:00:00Z'), 'schedule']]);
});

test('a manual trigger runs now with reason manual; under forbid while running it is a CONFLICT naming the run', async () => {
  const { clock, backend, scheduler } = setup([job({ schedule: '0 2 * * *' })]);
  await scheduler.start();
  const run = await scheduler.trigger('si-report');
  assert.equal(run.outcome, 'started');
  assert.deepEqual(backend.callsOf('start'), [
    { call: 'start', jobId: 'si-report', scheduledAt: clock.now().toISOString(), reason: 'manual', runId: 'run-1' },
  ]);
  await assert.rejects(scheduler.trigger('si-report'), (error: unknown) => {
    assert.ok(isWharfError(error));
    assert.equal(error.code, 'CONFLICT');
    assert.match(error.message, /run-1/);
    assert.match(error.hint ?? '', /run-1/);
    return true;
  });
  assert.equal(backend.callsOf('skipped').length, 0);
  await assert.rejects(scheduler.trigger('nope'), (error: unknown) => isWharfError(error) && error.code === 'NOT_FOUND');
});

test('a manual trigger under replace cancels the running run first', async () => {
  const { backend, scheduler } = setup([job({ concurrencyPolicy: 'replace' })]);
  await scheduler.trigger('si-report');
  const second = await scheduler.trigger('si-report');
  assert.deepEqual(second.replaced, ['run-1']);
  assert.deepEqual(backend.callsOf('cancel'), [{ call: 'cancel', runId: 'run-1', why: 'replaced' }]);
});

test('definition changes are picked up after reload()', async () => {
  const { clock, backend, scheduler } = setup([job({ schedule: '0 2 * * *' })], '2024-01-01T00:00:30Z');
  await scheduler.start();
  assert.deepEqual(clock.pending().map((d) => d.toISOString()), [at('2024-01-01T02:00:00Z')]);
  backend.definitions[0]!.schedule = '*/5 * * * *';
  scheduler.reload();
  assert.deepEqual(clock.pending().map((d) => d.toISOString()), [at('2024-01-01T00:05:00Z')]);
  await clock.advance(5 * 60_000);
  await scheduler.idle();
  assert.deepEqual(backend.callsOf('start').map((c) => c.scheduledAt), [at('2024-01-01T00:05:00Z')]);

  backend.definitions = [];
  scheduler.reload();
  assert.deepEqual(clock.pending(), []);
});

test('an error from start() is reported through onError and the next tick still runs', async () => {
  const { clock, backend, scheduler, errors } = setup([job()]);
  await scheduler.start();
  backend.failNextStart = new Error('runtime down');
  await clock.advance(60_000);
  await scheduler.idle();
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.jobId, 'si-report');
  assert.match(String(errors[0]?.error), /runtime down/);
  await clock.advance(60_000);
  await scheduler.idle();
  assert.deepEqual(backend.callsOf('start').map((c) => c.scheduledAt), [at('2024-01-01T00:02:00Z')]);
});

test('an invalid schedule is reported once and does not stop other jobs', async () => {
  const { clock, backend, scheduler, errors } = setup([job({ jobId: 'bad', schedule: '61 * * * *' }), job({ jobId: 'good' })]);
  await scheduler.start();
  await clock.advance(3 * 60_000);
  await scheduler.idle();
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.jobId, 'bad');
  assert.ok(isWharfError(errors[0]?.error) && errors[0].error.code === 'INVALID_CONFIG');
  assert.deepEqual(new Set(backend.callsOf('start').map((c) => c.jobId)), new Set(['good']));
});

test('a timer that fires far too late (process suspended) records missed times instead of running late', async () => {
  const { clock, backend, scheduler } = setup([job({ schedule: '0 * * * *' })], '2024-01-01T00:30:00Z');
  await scheduler.start();
  // A 3-hour freeze: no timer fires until 03:30.
  clock.jump(3 * 60 * 60_000);
  await clock.advance(0);
  await scheduler.idle();
  assert.deepEqual(
    backend.callsOf('missed').map((c) => c.scheduledAt),
    ['01', '02', '03'].map((h) => at(`2024-01-01T${h}:00:00Z`)),
  );
  assert.equal(backend.callsOf('start').length, 0);
  // Within the grace (5 minutes), a late timer still runs the job as scheduled.
  clock.jump(31 * 60_000); // 04:01, one minute late
  await clock.advance(0);
  await scheduler.idle();
  assert.deepEqual(backend.callsOf('start').map((c) => [c.scheduledAt, c.reason]), [[at('2024-01-01T04:00:00Z'), 'schedule']]);
});

test('systemClock fires a timer when due, not after cancel, and never fires a far timer early', async () => {
  const fired: string[] = [];
  // systemClock's timers are unref'd (they never keep a process alive); this one keeps the test's.
  const keepAlive = setInterval(() => {}, 1000);
  const far = systemClock.setTimer(new Date(Date.now() + 30 * 24 * 3600 * 1000), () => fired.push('far'));
  const cancelled = systemClock.setTimer(new Date(Date.now() + 5), () => fired.push('cancelled'));
  cancelled.cancel();
  await new Promise<void>((resolve) => systemClock.setTimer(new Date(Date.now() + 20), () => resolve()));
  await new Promise<void>((resolve) => systemClock.setTimer(new Date(Date.now() - 1000), () => resolve()));
  far.cancel();
  clearInterval(keepAlive);
  assert.deepEqual(fired, []);
});
