import { setTimeout as sleep } from 'node:timers/promises';

// The one way tests wait for a condition (no fixed sleeps): poll `check` until it returns a
// truthy value and return that value. A check that throws counts as "not yet"; on timeout the
// error names what was awaited and the last thing the check threw or returned, so a failure
// says why the condition never held, not only that it did not.

export interface WaitOptions {
  timeoutMs: number;
  /** Between checks; 50 ms unless given. */
  intervalMs?: number;
  /** What is awaited, for the timeout's message (a function is called only then). */
  what: string | (() => string);
}

type Check<T> = () => Promise<T | null | undefined | false | 0 | ''> | T | null | undefined | false | 0 | '';

export async function waitFor<T>(check: Check<T>, opts: WaitOptions): Promise<T>;
/** The same, written `waitFor(what, check, timeoutMs | { timeoutMs, intervalMs })` (timeout 10 s unless given). */
export async function waitFor<T>(what: string, check: Check<T>, opts?: number | { timeoutMs?: number; intervalMs?: number }): Promise<T>;
export async function waitFor<T>(
  a: Check<T> | string,
  b: WaitOptions | Check<T>,
  c?: number | { timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  const positional = typeof a === 'string';
  const check = (positional ? b : a) as Check<T>;
  const opts: WaitOptions = positional
    ? { what: a, timeoutMs: typeof c === 'number' ? c : (c?.timeoutMs ?? 10_000), intervalMs: typeof c === 'number' ? undefined : c?.intervalMs }
    : (b as WaitOptions);
  const deadline = Date.now() + opts.timeoutMs;
  let last: { error: unknown } | { value: unknown } | null = null;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) {
      const what = typeof opts.what === 'string' ? opts.what : opts.what();
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what} (${describeLast(last)})`);
    }
    await sleep(Math.min(opts.intervalMs ?? 50, Math.max(1, deadline - Date.now())));
  }
}

function describeLast(last: { error: unknown } | { value: unknown } | null): string {
  if (last === null) return 'never checked';
  if ('error' in last) return `last error: ${last.error instanceof Error ? last.error.message : String(last.error)}`;
  let text: string;
  try {
    text = JSON.stringify(last.value) ?? String(last.value);
  } catch {
    text = String(last.value);
  }
  return `last value: ${text.length > 500 ? `${text.slice(0, 500)}…` : text}`;
}
