// Flood protection for one replica's output: a token bucket. The supervisor keeps reading the
// app's pipes at full speed (the app is never slowed); lines over the limit are dropped after
// reading, and while dropping a `sys` line says how many, at most once a second — never silently.
//
// Limits are the supervisor's own: WHARF_LOG_RATE (lines/s sustained, default 5000) and
// WHARF_LOG_BURST (default 20000) from the supervisor's environment, which it inherits from the
// control plane that starts it. A replica's own variables (ReplicaSpec env) cannot raise them.

export const DEFAULT_LOG_RATE = 5_000;
export const DEFAULT_LOG_BURST = 20_000;
const MARKER_INTERVAL_MS = 1_000;

export interface RateLimitOptions {
  ratePerSecond: number;
  burst: number;
}

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

export function rateLimitFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimitOptions {
  const ratePerSecond = positive(env.WHARF_LOG_RATE, DEFAULT_LOG_RATE);
  return { ratePerSecond, burst: Math.max(positive(env.WHARF_LOG_BURST, DEFAULT_LOG_BURST), 1) };
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly options: RateLimitOptions,
    now: number = Date.now(),
  ) {
    this.tokens = options.burst;
    this.last = now;
  }

  take(now: number = Date.now()): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.last) * this.options.ratePerSecond) / 1000);
      this.last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

export function dropMarker(count: number, ratePerSecond: number): string {
  return `${count} line${count === 1 ? '' : 's'} dropped (rate limit: ${ratePerSecond} lines/s)`;
}

/**
 * Passes lines to `write` within the bucket; counts the rest and reports them through `marker`
 * once a second while dropping, and once more when the flood ends (a timer, so the last count
 * is written even if the app falls silent).
 */
export class LineRateLimiter {
  private readonly bucket: TokenBucket;
  private dropped = 0;
  private lastMarker = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly options: RateLimitOptions,
    private readonly marker: (message: string) => void,
    private readonly clock: () => number = Date.now,
  ) {
    this.bucket = new TokenBucket(options, clock());
  }

  /** True when the line may be written. */
  admit(): boolean {
    const now = this.clock();
    if (this.bucket.take(now)) {
      if (this.dropped > 0 && now - this.lastMarker >= MARKER_INTERVAL_MS) this.flush();
      return true;
    }
    this.dropped++;
    if (now - this.lastMarker >= MARKER_INTERVAL_MS) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, MARKER_INTERVAL_MS);
      this.timer.unref();
    }
    return false;
  }

  /** Writes the marker for what was dropped since the last one (if anything was). */
  flush(): void {
    if (this.dropped === 0) return;
    const count = this.dropped;
    this.dropped = 0;
    this.lastMarker = this.clock();
    this.marker(dropMarker(count, this.options.ratePerSecond));
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }
}
