import type { AlertRule, ChannelConfig, DeliveryStatus } from '../store/alerts.js';
import type { Store } from '../store/store.js';
import { notifierFor, type ChannelTimeouts } from './channels.js';
import type { DeliveryResult, Notification, Notifier } from './types.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait after the first failure; doubled after each further one. */
  baseMs: number;
  /** No single wait is longer (also caps a receiver's Retry-After). */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 1_000, maxMs: 60_000 };

/** The wait before attempt `attempt + 1`: base, 2×base, 4×base … capped. */
export function backoffMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  const exponential = policy.baseMs * 2 ** (attempt - 1);
  return Math.min(policy.maxMs, Math.max(exponential, retryAfterMs ?? 0));
}

export interface DispatcherOptions {
  retry?: Partial<RetryPolicy>;
  timeouts?: ChannelTimeouts;
  /** Seam for tests; by default the channel's own notifier. */
  notifierFor?: (channel: ChannelConfig) => Notifier;
}

export interface Delivered {
  result: DeliveryResult;
  attempts: number;
}

/**
 * Sends a rule's notifications through its channel: retries what may succeed later with
 * exponential backoff, gives up on what will not, and records every attempt in the delivery log.
 */
export class Dispatcher {
  readonly policy: RetryPolicy;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly waits = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly options: DispatcherOptions = {},
  ) {
    this.policy = { ...DEFAULT_RETRY, ...options.retry };
  }

  /** Delivers in the background (retries included); errors end up in the log, never thrown. */
  enqueue(rule: AlertRule, notification: Notification): void {
    const p = this.deliver(rule, notification).catch(() => undefined);
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async deliver(rule: AlertRule, notification: Notification, options: { retry?: boolean } = {}): Promise<Delivered> {
    const notifier = (this.options.notifierFor ?? ((c: ChannelConfig) => notifierFor(c, this.options.timeouts)))(rule.channel);
    const attempts = options.retry === false ? 1 : Math.max(1, this.policy.attempts);
    for (let attempt = 1; ; attempt++) {
      let result: DeliveryResult;
      try {
        result = await notifier.send(notification);
      } catch (error) {
        result = { ok: false, statusCode: null, durationMs: 0, error: (error as Error).message, retryable: true };
      }
      const again = !result.ok && result.retryable && attempt < attempts && !this.stopped;
      const status: DeliveryStatus = result.ok ? 'delivered' : again ? 'retrying' : 'failed';
      this.store.alerts.recordDelivery({
        projectId: rule.projectId,
        ruleId: rule.id,
        notificationId: notification.id,
        kind: notification.kind,
        channelType: rule.channel.type,
        target: rule.channelSummary,
        attempt,
        status,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        error: result.error,
      });
      if (!again) return { result, attempts: attempt };
      await this.wait(backoffMs(this.policy, attempt, result.retryAfterMs));
      if (this.stopped) return { result, attempts: attempt };
    }
  }

  /** Resolves when every background delivery has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Ends waits between attempts at once; no new attempts start. Waits at most `graceMs` for sends in flight. */
  async stop(graceMs = 3_000): Promise<void> {
    this.stopped = true;
    for (const wake of this.waits) wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waits.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.waits.add(wake);
    });
  }
}
