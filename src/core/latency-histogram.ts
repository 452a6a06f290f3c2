// Latency histograms shared by the router (which fills them, one per target and 10 s bucket) and
// the control plane (which merges them and reads percentiles). Log-scale bins: bin i ≥ 1 holds
// [MIN_MS·GROWTH^(i-1), MIN_MS·GROWTH^i); bin 0 everything below MIN_MS, the last bin everything
// from MAX_MS up. A bin's value is the point whose relative distance to both of its edges is
// (GROWTH−1)/(GROWTH+1) ≈ 0.99 %: a percentile read from the bins is within that of the exact one.

export const LATENCY_MIN_MS = 0.01;
export const LATENCY_MAX_MS = 600_000;
export const LATENCY_GROWTH = 1.02;
/** Relative error bound of a value read from a bin in range. */
export const LATENCY_RELATIVE_ERROR = (LATENCY_GROWTH - 1) / (LATENCY_GROWTH + 1);

const LOG_GROWTH = Math.log(LATENCY_GROWTH);
const LOG_MIN = Math.log(LATENCY_MIN_MS);
const LAST_RANGE_BIN = Math.ceil((Math.log(LATENCY_MAX_MS) - LOG_MIN) / LOG_GROWTH);
/** Bins in all: underflow, the log-scale range, overflow. */
export const LATENCY_BINS = LAST_RANGE_BIN + 2;

/** The bin of a duration in ms (no allocation; for the router's hot path). */
export function latencyBin(ms: number): number {
  if (!(ms >= LATENCY_MIN_MS)) return 0; // NaN too
  if (ms >= LATENCY_MAX_MS) return LATENCY_BINS - 1;
  const i = Math.floor((Math.log(ms) - LOG_MIN) / LOG_GROWTH) + 1;
  return i < 1 ? 1 : i > LAST_RANGE_BIN ? LAST_RANGE_BIN : i;
}

/** The value that stands for bin `i`, in ms. */
export function latencyBinValue(i: number): number {
  if (i <= 0) return LATENCY_MIN_MS;
  if (i >= LATENCY_BINS - 1) return LATENCY_MAX_MS;
  const lower = LATENCY_MIN_MS * Math.exp((i - 1) * LOG_GROWTH);
  const upper = lower * LATENCY_GROWTH;
  return (2 * lower * upper) / (lower + upper);
}

/** A sparse histogram: bin → count. */
export type SparseHistogram = Map<number, number>;

/** Adds `from` into `into` (counts add). */
export function mergeHistogram(into: SparseHistogram, from: Iterable<readonly [number, number]>): void {
  for (const [bin, n] of from) into.set(bin, (into.get(bin) ?? 0) + n);
}

/**
 * Nearest-rank percentiles (q in 0..100) of a histogram, in the order asked; null when it is
 * empty. One pass over the sorted bins for all of them.
 */
export function histogramPercentiles(h: SparseHistogram, qs: readonly number[]): Array<number | null> {
  let total = 0;
  for (const n of h.values()) total += n;
  if (total === 0) return qs.map(() => null);
  const bins = [...h.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  return qs.map((q) => {
    const rank = Math.min(total, Math.max(1, Math.ceil((q / 100) * total)));
    let seen = 0;
    for (const [bin, n] of bins) {
      seen += n;
      if (seen >= rank) return latencyBinValue(bin);
    }
    return latencyBinValue(bins.at(-1)![0]);
  });
}
