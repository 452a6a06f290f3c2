import type { LivenessSpec } from '../core/runtime.js';
import { probeHttp, probeTcp } from '../server/deploy/probe.js';

// Liveness: an HTTP GET (any 2xx is healthy) or a TCP connect on 127.0.0.1:port, with the
// same probes the deploy pipeline's readiness checks use. Failures count only once the app
// has been healthy: startup is the deploy pipeline's business.

const STARTUP_PROBE_MS = 250;

export interface LivenessEvents {
  onHealthy(): void;
  /** A counted failure (the app was healthy before). */
  onFailure(consecutive: number, detail: string): void;
  /** The threshold was reached; the monitor has stopped itself. */
  onUnhealthy(consecutive: number): void;
}

export class LivenessMonitor {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private everHealthy = false;
  private failures = 0;

  constructor(
    private readonly port: number,
    private readonly spec: LivenessSpec,
    private readonly events: LivenessEvents,
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    // Until the app is first healthy, look often (it is "starting" meanwhile); then at the interval.
    const delay = this.everHealthy ? this.spec.intervalMs : Math.min(STARTUP_PROBE_MS, this.spec.intervalMs);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    const { path, timeoutMs, failureThreshold } = this.spec;
    const result = path === null ? await probeTcp(this.port, timeoutMs) : await probeHttp(this.port, path, `127.0.0.1:${this.port}`, timeoutMs);
    if (this.stopped) return;
    if (result.ok) {
      this.failures = 0;
      if (!this.everHealthy) {
        this.everHealthy = true;
        this.events.onHealthy();
      }
    } else if (this.everHealthy) {
      this.failures++;
      this.events.onFailure(this.failures, result.detail);
      if (this.failures >= failureThreshold) {
        this.stop();
        this.events.onUnhealthy(this.failures);
        return;
      }
    }
    this.schedule();
  }
}
