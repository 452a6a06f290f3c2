import type { Endpoint, LivenessSpec } from '../core/runtime.js';
import { probeHttp, probeTcp } from './probe.js';

// Liveness: an HTTP GET (any 2xx is healthy) or a TCP connect at the replica's endpoint (a
// process supervisor's app on 127.0.0.1, a container at its address), with the
// same probes the deploy pipeline's readiness checks use. Failures count once the app has been
// healthy, or, for a restarted run, once its start-up time is over: a first start is the
// business of whoever started it (the deploy pipeline, the reconciler), but nobody else watches
// a restart, and a restarted app that never answers 2xx again is unhealthy, not "starting".

/** Right after a start, look often so a healthy app is seen as `running` quickly … */
const STARTUP_PROBE_MS = 250;
/** … but only this long: after that (and once healthy) the probe keeps its interval. */
const STARTUP_FAST_WINDOW_MS = 5_000;

export interface LivenessOptions {
  /** Failed probes count from this long after the start even if the app was never healthy (null: never). */
  countFromMs: number | null;
  /** This run already answered once (seen by an earlier control plane): failures count at once. */
  alreadyHealthy?: boolean;
  now?: () => number;
}

export interface LivenessEvents {
  onHealthy(): void;
  /** A counted failure. */
  onFailure(consecutive: number, detail: string): void;
  /** Failures start counting for an app that was never healthy in this run. */
  onStartupOver?(waitedMs: number): void;
  /** The threshold was reached; the monitor has stopped itself. */
  onUnhealthy(consecutive: number, detail: string): void;
}

export class LivenessMonitor {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private everHealthy = false;
  private counting = false;
  private failures = 0;
  private readonly now: () => number;
  private startedAt = 0;

  private readonly endpoint: Endpoint;

  constructor(
    target: Endpoint | number,
    private readonly spec: LivenessSpec,
    private readonly events: LivenessEvents,
    private readonly options: LivenessOptions = { countFromMs: null },
  ) {
    this.endpoint = typeof target === 'number' ? { host: '127.0.0.1', port: target } : target;
    this.now = options.now ?? Date.now;
    this.everHealthy = this.counting = options.alreadyHealthy ?? false;
  }

  start(): void {
    this.startedAt = this.now();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    const fast = !this.everHealthy && this.now() - this.startedAt < STARTUP_FAST_WINDOW_MS;
    const delay = fast ? Math.min(STARTUP_PROBE_MS, this.spec.intervalMs) : this.spec.intervalMs;
    this.timer = setTimeout(() => void this.tick(), delay);
    // In the control plane (the docker driver) a pending probe must not keep the process up.
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    const { path, timeoutMs, failureThreshold } = this.spec;
    const { host, port } = this.endpoint;
    const result = path === null ? await probeTcp(this.endpoint, timeoutMs) : await probeHttp(this.endpoint, path, `${host}:${port}`, timeoutMs);
    if (this.stopped) return;
    if (result.ok) {
      this.failures = 0;
      if (!this.everHealthy) {
        this.everHealthy = true;
        this.counting = true;
        this.events.onHealthy();
      }
    } else {
      const { countFromMs } = this.options;
      const waited = this.now() - this.startedAt;
      if (!this.counting && countFromMs !== null && waited >= countFromMs) {
        this.counting = true;
        this.events.onStartupOver?.(waited);
      }
      if (this.counting) {
        this.failures++;
        this.events.onFailure(this.failures, result.detail);
        if (this.failures >= failureThreshold) {
          this.stop();
          this.events.onUnhealthy(this.failures, result.detail);
          return;
        }
      }
    }
    this.schedule();
  }
}
