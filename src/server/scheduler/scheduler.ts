import { WharfError } from '../../core/errors.js';
import type { Clock, TimerHandle } from './clock.js';
import { MAX_PREVIOUS_RUNS, parseSchedule, type CronSchedule } from '../../shared/cron-schedule.js';

export { systemClock, type Clock, type TimerHandle } from './clock.js';

// Drives cron jobs from a clock (REFERENCE §3.6). One timer for the earliest next run over
// all jobs; each firing handles every job that is due and re-arms; definitions are re-read
// from the backend every time. Everything outside (store, runtime, time) sits behind
// CronBackend and Clock; the scheduler emits nothing itself: its return values and the
// backend calls are the record.
//
// Concurrency follows Kubernetes CronJob (Railway behaves as `forbid`):
//   forbid  — a run due while another runs is recorded skipped; a manual run is refused (CONFLICT)
//   allow   — runs overlap
//   replace — the running one is cancelled ('replaced'), then the new one starts
// Operations for one job are serialised, so a start still in flight counts as running.

export type ConcurrencyPolicy = 'forbid' | 'allow' | 'replace';
export type RunReason = 'schedule' | 'missed' | 'manual';

export interface CronJobDefinition {
  /** e.g. the service instance id. */
  jobId: string;
  schedule: string;
  concurrencyPolicy: ConcurrencyPolicy;
  timeoutSeconds: number | null;
  /** After downtime, run the latest missed time once (reason 'missed'). */
  runMissed: boolean;
}

export interface CronRunEnd {
  exitCode: number | null;
  timedOut: boolean;
}

export interface CronRunHandle {
  runId: string;
  done: Promise<CronRunEnd>;
}

export interface CronBackend {
  /** Current definitions; re-read on every tick. */
  jobs(): CronJobDefinition[];
  /** The newest scheduled time already recorded (run, skipped or missed); read by catchUp(). */
  lastScheduledAt(jobId: string): Date | null;
  /** Runs in progress. */
  running(jobId: string): Array<{ runId: string }>;
  start(jobId: string, scheduledAt: Date, reason: RunReason): Promise<CronRunHandle>;
  cancel(runId: string, why: 'replaced' | 'timeout'): Promise<void>;
  /** Concurrency forbid. */
  recordSkipped(jobId: string, scheduledAt: Date, why: string): void;
  /** The control plane was down (or the timer fired too late). */
  recordMissed(jobId: string, scheduledAt: Date): void;
}

interface RunOutcomeBase {
  jobId: string;
  scheduledAt: Date;
  reason: RunReason;
}
export type StartedRun = RunOutcomeBase & { outcome: 'started'; runId: string; replaced: string[] };
export type RunOutcome =
  | StartedRun
  | (RunOutcomeBase & { outcome: 'skipped'; why: string })
  | (RunOutcomeBase & { outcome: 'failed'; error: unknown });

export interface CatchUpReport {
  jobId: string;
  /** Missed times recorded with backend.recordMissed. */
  missed: number;
  /** More than `missedLimit` times were missed; only the most recent were recorded. */
  truncated: boolean;
  /** The run of the latest missed time (runMissed), or null. */
  run: RunOutcome | null;
}

export interface CronSchedulerOptions {
  /** Errors from the backend (start, cancel, record*, done) and invalid schedules; the loop carries on. */
  onError?: (jobId: string, error: unknown) => void;
  /** Missed times recorded per job and catch-up (default 1000). */
  missedLimit?: number;
  /**
   * A time found due by a timer firing later than this (the process was suspended, the event
   * loop blocked, the clock jumped) is treated as missed, like downtime: recorded, and run
   * only if runMissed. Default 5 minutes (Railway: runs "may drift by a few minutes").
   */
  lateGraceMs?: number;
}

interface JobState {
  expression: string;
  /** null: the expression is invalid (reported once through onError). */
  schedule: CronSchedule | null;
  /** Every scheduled time at or before this has been handled. */
  evaluatedUntil: Date;
}

export class CronScheduler {
  private readonly onError: (jobId: string, error: unknown) => void;
  private readonly missedLimit: number;
  private readonly lateGraceMs: number;
  private readonly states = new Map<string, JobState>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly timeouts = new Map<string, TimerHandle>();
  private timer: TimerHandle | null = null;
  private started = false;

  constructor(
    private readonly backend: CronBackend,
    private readonly clock: Clock,
    options: CronSchedulerOptions = {},
  ) {
    this.onError = options.onError ?? (() => {});
    this.missedLimit = options.missedLimit ?? MAX_PREVIOUS_RUNS;
    this.lateGraceMs = options.lateGraceMs ?? 5 * 60_000;
  }

  /** Catches up on downtime, then arms the timer. Resolves when the catch-up runs have started. */
  async start(): Promise<CatchUpReport[]> {
    if (this.started) return [];
    this.started = true;
    const reports = this.catchUp(); // records missed times and sets every job's cursor synchronously
    this.arm(this.sync(this.clock.now()));
    return reports;
  }

  /** No more ticks and no more timeout timers; runs already started are left to the backend. */
  stop(): void {
    this.started = false;
    this.timer?.cancel();
    this.timer = null;
    for (const timeout of this.timeouts.values()) timeout.cancel();
    this.timeouts.clear();
  }

  /** Definitions changed: re-read them and re-arm. A changed schedule starts afresh from now. */
  reload(): void {
    if (this.started) this.arm(this.sync(this.clock.now()));
  }

  /**
   * For each job, the scheduled times in (lastScheduledAt, now] are recorded missed (at most
   * `missedLimit`, the most recent), and with runMissed the latest one is run once (reason
   * 'missed'). A job never scheduled before (lastScheduledAt null) has nothing missed.
   */
  async catchUp(): Promise<CatchUpReport[]> {
    const now = this.clock.now();
    const reports: Array<Promise<CatchUpReport>> = [];
    for (const [job, state] of this.sync(now)) {
      state.evaluatedUntil = now;
      if (state.schedule === null) continue;
      const last = this.backend.lastScheduledAt(job.jobId);
      const missed = last === null ? [] : state.schedule.previous(now, last, this.missedLimit + 1);
      const truncated = missed.length > this.missedLimit;
      if (truncated) missed.shift();
      for (const at of missed) this.safely(job.jobId, () => this.backend.recordMissed(job.jobId, at));
      const latest = missed.at(-1);
      const run = latest !== undefined && job.runMissed ? this.runSerially(job, latest, 'missed') : Promise.resolve(null);
      reports.push(run.then((outcome) => ({ jobId: job.jobId, missed: missed.length, truncated, run: outcome })));
    }
    return Promise.all(reports);
  }

  /**
   * Runs a job now (reason 'manual') under its concurrency policy, except that under
   * 'forbid' a run in progress makes it fail with CONFLICT. Errors are thrown to the caller.
   */
  async trigger(jobId: string): Promise<StartedRun> {
    const job = this.backend.jobs().find((j) => j.jobId === jobId);
    if (job === undefined) {
      throw new WharfError('NOT_FOUND', `There is no cron job "${jobId}"`, {
        hint: 'Give the service a cron schedule (cronSchedule, e.g. "0 2 * * *") and deploy it, then trigger it.',
      });
    }
    const outcome = await this.runSerially(job, this.clock.now(), 'manual');
    if (outcome.outcome !== 'started') throw new WharfError('INTERNAL', `The manual run of "${jobId}" did not start`);
    return outcome;
  }

  /** Resolves when every operation the scheduler has begun (starts, cancels, records) has settled; runs themselves may go on. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private tick(): void {
    this.timer = null;
    if (!this.started) return;
    const now = this.clock.now();
    const jobs = this.sync(now);
    for (const [job, state] of jobs) {
      if (state.schedule === null) continue;
      const due = state.schedule.previous(now, state.evaluatedUntil, this.missedLimit);
      state.evaluatedUntil = now;
      const latest = due.pop();
      if (latest === undefined) continue;
      // Several times due at once means the timer fired late: the earlier ones were missed.
      for (const at of due) this.safely(job.jobId, () => this.backend.recordMissed(job.jobId, at));
      if (now.getTime() - latest.getTime() <= this.lateGraceMs) {
        void this.runSerially(job, latest, 'schedule');
      } else {
        this.safely(job.jobId, () => this.backend.recordMissed(job.jobId, latest));
        if (job.runMissed) void this.runSerially(job, latest, 'missed');
      }
    }
    this.arm(jobs);
  }

  /** One timer, at the earliest next time over all jobs; none when nothing is scheduled. */
  private arm(jobs: Array<[CronJobDefinition, JobState]>): void {
    this.timer?.cancel();
    this.timer = null;
    if (!this.started) return;
    let earliest: Date | null = null;
    for (const [, state] of jobs) {
      // From the cursor, not from now: a time that fell due during a reload fires at once.
      const next = state.schedule?.next(state.evaluatedUntil) ?? null;
      if (next !== null && (earliest === null || next < earliest)) earliest = next;
    }
    if (earliest !== null) this.timer = this.clock.setTimer(earliest, () => this.tick());
  }

  /** Re-reads the definitions: new or changed jobs start from `now`, removed ones are forgotten. */
  private sync(now: Date): Array<[CronJobDefinition, JobState]> {
    const jobs = this.backend.jobs();
    const seen = new Set<string>();
    const result: Array<[CronJobDefinition, JobState]> = [];
    for (const job of jobs) {
      seen.add(job.jobId);
      let state = this.states.get(job.jobId);
      if (state === undefined || state.expression !== job.schedule) {
        let schedule: CronSchedule | null = null;
        try {
          schedule = parseSchedule(job.schedule);
        } catch (error) {
          this.onError(job.jobId, error);
        }
        state = { expression: job.schedule, schedule, evaluatedUntil: now };
        this.states.set(job.jobId, state);
      }
      result.push([job, state]);
    }
    for (const jobId of this.states.keys()) if (!seen.has(jobId)) this.states.delete(jobId);
    return result;
  }

  /** Operations on one job run one after another, so a start in flight is never missed by the next check. */
  private runSerially(job: CronJobDefinition, scheduledAt: Date, reason: RunReason): Promise<RunOutcome> {
    const previous = this.queues.get(job.jobId) ?? Promise.resolve();
    const operation = previous.then(() => this.runNow(job, scheduledAt, reason));
    const settled = operation.then(
      () => {},
      () => {},
    );
    this.queues.set(job.jobId, settled);
    void settled.then(() => {
      if (this.queues.get(job.jobId) === settled) this.queues.delete(job.jobId);
    });
    return this.track(operation);
  }

  private async runNow(job: CronJobDefinition, scheduledAt: Date, reason: RunReason): Promise<RunOutcome> {
    const base = { jobId: job.jobId, scheduledAt, reason };
    try {
      const running = this.backend.running(job.jobId);
      const replaced: string[] = [];
      if (running.length > 0 && job.concurrencyPolicy === 'forbid') {
        const ids = running.map((r) => r.runId).join(', ');
        if (reason === 'manual') {
          throw new WharfError('CONFLICT', `Cron job "${job.jobId}" is already running (run ${ids}) and its concurrency policy is forbid`, {
            hint: `Wait for run ${ids} to finish or cancel it, then trigger again; or set the concurrency policy to allow or replace.`,
            details: { jobId: job.jobId, running: running.map((r) => r.runId) },
          });
        }
        const why = `previous run ${ids} still running`;
        this.backend.recordSkipped(job.jobId, scheduledAt, why);
        return { ...base, outcome: 'skipped', why };
      }
      if (job.concurrencyPolicy === 'replace') {
        for (const { runId } of running) {
          await this.backend.cancel(runId, 'replaced');
          replaced.push(runId);
        }
      }
      const handle = await this.backend.start(job.jobId, scheduledAt, reason);
      this.watch(job, handle);
      return { ...base, outcome: 'started', runId: handle.runId, replaced };
    } catch (error) {
      if (reason === 'manual') throw error;
      this.onError(job.jobId, error);
      return { ...base, outcome: 'failed', error };
    }
  }

  /**
   * Belt and braces: the backend enforces the timeout itself (JobSpec.timeoutMs); the
   * scheduler also cancels the run when timeoutSeconds pass, in case the backend's own
   * enforcement is lost (e.g. a runtime restarted mid-run).
   */
  private watch(job: CronJobDefinition, handle: CronRunHandle): void {
    const { runId } = handle;
    if (job.timeoutSeconds !== null && job.timeoutSeconds > 0 && this.started) {
      const at = new Date(this.clock.now().getTime() + job.timeoutSeconds * 1000);
      this.timeouts.set(
        runId,
        this.clock.setTimer(at, () => {
          this.timeouts.delete(runId);
          if (!this.backend.running(job.jobId).some((r) => r.runId === runId)) return;
          void this.track(this.backend.cancel(runId, 'timeout')).catch((error: unknown) => this.onError(job.jobId, error));
        }),
      );
    }
    handle.done.then(
      () => this.clearTimeout(runId),
      (error: unknown) => {
        this.clearTimeout(runId);
        this.onError(job.jobId, error);
      },
    );
  }

  private clearTimeout(runId: string): void {
    this.timeouts.get(runId)?.cancel();
    this.timeouts.delete(runId);
  }

  private safely(jobId: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.onError(jobId, error);
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inflight.add(promise);
    const remove = (): void => {
      this.inflight.delete(promise);
    };
    promise.then(remove, remove);
    return promise;
  }
}
