import type { RestartPolicy } from '../core/settings.js';

// What the supervisor does after the app exits: pure functions, so the whole policy is a
// table of cases in restart-policy.test.ts. Back-off follows Docker: 100 ms doubling,
// capped at 10 s, reset once the app has stayed up 10 s.

export const BACKOFF_INITIAL_MS = 100;
export const BACKOFF_MAX_MS = 10_000;
export const BACKOFF_RESET_AFTER_MS = 10_000;

export interface AppExit {
  code: number | null;
  signal: string | null;
  /** Set when the app could not be started at all (e.g. spawn ENOENT). */
  error?: string;
}

export type ExitDecision = { action: 'restart' } | { action: 'end'; state: 'crashed' | 'exited' };

/** A failure is anything but a clean exit 0, or an exit Wharf forced (liveness). */
export function isFailure(exit: AppExit, forcedReason: string | null = null): boolean {
  return forcedReason !== null || exit.error !== undefined || exit.signal !== null || exit.code !== 0;
}

export function describeExit(exit: AppExit): string {
  if (exit.error !== undefined) return `could not start: ${exit.error}`;
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return `exited with code ${exit.code ?? 'unknown'}`;
}

export function decideAfterExit(
  policy: RestartPolicy,
  maxRetries: number,
  restartsSoFar: number,
  failed: boolean,
): ExitDecision {
  switch (policy) {
    case 'ALWAYS':
      return { action: 'restart' };
    case 'NEVER':
      return { action: 'end', state: failed ? 'crashed' : 'exited' };
    case 'ON_FAILURE':
      if (!failed) return { action: 'end', state: 'exited' };
      return restartsSoFar < maxRetries ? { action: 'restart' } : { action: 'end', state: 'crashed' };
  }
}

/** Delay before the restart numbered `step` (0-based) in a run of quick failures. */
export function backoffMs(step: number): number {
  return Math.min(BACKOFF_INITIAL_MS * 2 ** Math.max(0, step), BACKOFF_MAX_MS);
}

/** The back-off step to use next, given how long the app stayed up this time. */
export function backoffStepAfter(step: number, uptimeMs: number): number {
  return uptimeMs >= BACKOFF_RESET_AFTER_MS ? 0 : step;
}

export function describeRestart(delayMs: number, restartNumber: number, policy: RestartPolicy, maxRetries: number): string {
  const limit = policy === 'ON_FAILURE' ? `of ${maxRetries}` : 'of unlimited';
  return `restarting in ${delayMs} ms (restart ${restartNumber} ${limit})`;
}
