import type { Endpoint, LivenessSpec } from '../../../core/runtime.js';
import { probeEndpoint } from './probe.js';

// One container run's liveness probes, with the process supervisor's rules (src/supervisor/
// liveness.ts): failures count once the run has been healthy, or for a restarted run once its
// start-up time is over. The engine never restarts on failed HTTP probes, so this monitor is
// the driver's; it lives in the control plane (and starts again when a control plane adopts).

const STARTUP_PROBE_MS = 250;
const STARTUP_FAST_WINDOW_MS = 5_000;

export interface RunLivenessEvents {
  onHealthy(): void;
  onFailure(consecutive: number, detail: string): void;
  onStartupOver?(waitedMs: number): void;
  onUnhealthy(consecutive: number, detail: string): void;
}

export class RunLiveness {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private everHealthy = false;
  private counting = false;
  private failures = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly spec: LivenessSpec,
    private readonly events: RunLivenessEvents,
    /** Failed probes count from this long after the start even if never healthy (null: never). */
    private readonly countFromMs: number | null,
    /** This run already answered once (seen by an earlier control plane): failures count now. */
    alreadyHealthy = false,
  ) {
    this.everHealthy = alreadyHealthy;
    this.counting = alreadyHealthy;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    const fast = !this.everHealthy && Date.now() - this.startedAt < STARTUP_FAST_WINDOW_MS;
    const delay = fast ? Math.min(STARTUP_PROBE_MS, this.spec.intervalMs) : this.spec.intervalMs;
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const result = await probeEndpoint(this.endpoint, this.spec.path, this.spec.timeoutMs);
    if (this.stopped) return;
    if (result.ok) {
      this.failures = 0;
      if (!this.everHealthy) {
        this.everHealthy = true;
        this.counting = true;
        this.events.onHealthy();
      }
    } else {
      const waited = Date.now() - this.startedAt;
      if (!this.counting && this.countFromMs !== null && waited >= this.countFromMs) {
        this.counting = true;
        this.events.onStartupOver?.(waited);
      }
      if (this.counting) {
        this.failures++;
        this.events.onFailure(this.failures, result.detail);
        if (this.failures >= this.spec.failureThreshold) {
          this.stop();
          this.events.onUnhealthy(this.failures, result.detail);
          return;
        }
      }
    }
    this.schedule();
  }
}
