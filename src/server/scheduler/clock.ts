// The scheduler's only view of time: tests drive it with a fake clock, production uses
// systemClock.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): Date;
  /** Calls `fn` once at (or just after) `at`; a time already past fires as soon as possible. */
  setTimer(at: Date, fn: () => void): TimerHandle;
}

/**
 * Node fires a setTimeout longer than 2^31-1 ms (~24.8 days) immediately, so long waits are
 * split into steps of at most an hour. Each step re-reads the wall clock, which also bounds
 * how late a run can be after the system clock is set forward.
 */
export const MAX_TIMER_STEP_MS = 60 * 60 * 1000;

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer(at, fn) {
    let timer: NodeJS.Timeout | undefined;
    let cancelled = false;
    const wait = (ms: number): void => {
      timer = setTimeout(step, Math.min(Math.max(ms, 0), MAX_TIMER_STEP_MS));
      // The scheduler never keeps the process alive on its own.
      timer.unref();
    };
    const step = (): void => {
      if (cancelled) return;
      const remaining = at.getTime() - Date.now();
      if (remaining <= 0) fn();
      else wait(remaining);
    };
    // Always asynchronous, even for a time already past: callers never see fn re-entrantly.
    wait(at.getTime() - Date.now());
    return {
      cancel() {
        cancelled = true;
        if (timer !== undefined) clearTimeout(timer);
      },
    };
  },
};
