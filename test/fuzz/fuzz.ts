import type { Parameters } from 'fast-check';

// The fuzz suite's one setting: how hard to try. A fixed seed by default, so CI runs the same
// inputs every time and a failure names its seed and path (fast-check prints both, and
// `WHARF_FUZZ_SEED=<seed>` replays it); numRuns are sized so that the whole suite
// (test/fuzz/*.test.ts) takes well under a minute on a busy 2-core machine.
//
//   WHARF_FUZZ_SEED=<int>    another seed (e.g. a nightly run with $RANDOM)
//   WHARF_FUZZ_SCALE=<n>     n times the runs (0.1 for a smoke run, 10 for a long one)

export const FUZZ_SEED = envNumber('WHARF_FUZZ_SEED') ?? 0x57a4f;
const SCALE = envNumber('WHARF_FUZZ_SCALE') ?? 1;

export function runs<T>(numRuns: number): Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(numRuns * SCALE)), endOnFailure: true, includeErrorInReport: true };
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got '${raw}'`);
  return value;
}
