import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { Clock, TimerHandle } from './clock.js';
import type { CronBackend, CronJobDefinition, CronRunEnd, CronRunHandle, RunReason } from './scheduler.js';

// Hand-written fakes for the scheduler's two seams, for tests (here and where it is wired in).

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told; `advance` fires due timers in time order. */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  setTimer(at: Date, fn: () => void): TimerHandle {
    const timer: FakeTimer = { at: at.getTime(), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Pending timers' times, earliest first. */
  pending(): Date[] {
    return this.live()
      .map((t) => new Date(t.at))
      .sort((a, b) => a.getTime() - b.getTime());
  }

  /**
   * Moves time forward by `ms`, firing each due timer at its own time (earliest first) and
   * letting promises settle after each, so async work triggered by one firing happens before
   * the next one.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      const due = this.live()
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      due.cancelled = true;
      this.current = Math.max(this.current, due.at);
      due.fn();
      await settle();
    }
    this.current = target;
    this.timers = this.live();
  }

  /** Moves time without firing anything, like a suspended process; the next `advance` fires the overdue timers late. */
  jump(ms: number): void {
    this.current += ms;
  }

  private live(): FakeTimer[] {
    return this.timers.filter((t) => !t.cancelled);
  }
}

/** Lets every pending promise chain run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await nextMacrotask();
}

export type BackendCall =
  | { call: 'start'; jobId: string; scheduledAt: string; reason: RunReason; runId: string }
  | { call: 'cancel'; runId: string; why: 'replaced' | 'timeout' }
  | { call: 'skipped'; jobId: string; scheduledAt: string; why: string }
  | { call: 'missed'; jobId: string; scheduledAt: string };

interface FakeRun {
  runId: string;
  jobId: string;
  resolve: (end: CronRunEnd) => void;
}

/** An in-memory CronBackend that records every call; runs go on until `finish(runId)`. */
export class FakeCronBackend implements CronBackend {
  definitions: CronJobDefinition[] = [];
  readonly calls: BackendCall[] = [];
  readonly last = new Map<string, Date>();
  /** When set, the next start() rejects with it (once). */
  failNextStart: Error | null = null;
  private readonly runs = new Map<string, FakeRun>();
  private nextId = 1;

  constructor(definitions: CronJobDefinition[] = []) {
    this.definitions = definitions;
  }

  jobs(): CronJobDefinition[] {
    return this.definitions.map((d) => ({ ...d }));
  }

  lastScheduledAt(jobId: string): Date | null {
    return this.last.get(jobId) ?? null;
  }

  running(jobId: string): Array<{ runId: string }> {
    return [...this.runs.values()].filter((r) => r.jobId === jobId).map((r) => ({ runId: r.runId }));
  }

  async start(jobId: string, scheduledAt: Date, reason: RunReason): Promise<CronRunHandle> {
    if (this.failNextStart !== null) {
      const error = this.failNextStart;
      this.failNextStart = null;
      throw error;
    }
    const runId = `run-${this.nextId++}`;
    this.calls.push({ call: 'start', jobId, scheduledAt: scheduledAt.toISOString(), reason, runId });
    if (reason !== 'manual') this.remember(jobId, scheduledAt);
    let resolve!: (end: CronRunEnd) => void;
    const done = new Promise<CronRunEnd>((r) => (resolve = r));
    this.runs.set(runId, { runId, jobId, resolve });
    return { runId, done };
  }

  async cancel(runId: string, why: 'replaced' | 'timeout'): Promise<void> {
    this.calls.push({ call: 'cancel', runId, why });
    this.finish(runId, { exitCode: null, timedOut: why === 'timeout' });
  }

  recordSkipped(jobId: string, scheduledAt: Date, why: string): void {
    this.calls.push({ call: 'skipped', jobId, scheduledAt: scheduledAt.toISOString(), why });
    this.remember(jobId, scheduledAt);
  }

  recordMissed(jobId: string, scheduledAt: Date): void {
    this.calls.push({ call: 'missed', jobId, scheduledAt: scheduledAt.toISOString() });
    this.remember(jobId, scheduledAt);
  }

  /** Ends a run (exit 0 unless told otherwise). */
  finish(runId: string, end: CronRunEnd = { exitCode: 0, timedOut: false }): void {
    const run = this.runs.get(runId);
    if (run === undefined) return;
    this.runs.delete(runId);
    run.resolve(end);
  }

  callsOf<K extends BackendCall['call']>(call: K): Array<Extract<BackendCall, { call: K }>> {
    return this.calls.filter((c): c is Extract<BackendCall, { call: K }> => c.call === call);
  }

  private remember(jobId: string, at: Date): void {
    const previous = this.last.get(jobId);
    if (previous === undefined || previous < at) this.last.set(jobId, at);
  }
}
