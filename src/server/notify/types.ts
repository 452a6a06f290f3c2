import type { EventSeverity } from '../store/events.js';

// What every channel is given and what it answers. A channel knows its wire format; retries,
// backoff and the delivery log are the dispatcher's (delivery.ts).

export interface NamedRef {
  id: string;
  name: string;
}

/** `type`: `event` (an event rule matched), `alert` (a metric rule fired or resolved), `test`. */
export type NotificationType = 'event' | 'alert' | 'test';

export interface Notification {
  /** Stable across retries: receivers can de-duplicate on it. */
  id: string;
  type: NotificationType;
  /** The event kind: deployment.failed, service.crashed, alert.fired, alert.resolved, alert.test … */
  kind: string;
  severity: EventSeverity;
  /** One line, e.g. "web (production): deployment #4 FAILED: build failed". */
  message: string;
  project: NamedRef | null;
  environment: NamedRef | null;
  service: NamedRef | null;
  deployment: { id: string; number: number } | null;
  data: Record<string, unknown>;
  /** ISO time of what happened. */
  at: string;
}

export interface DeliveryResult {
  ok: boolean;
  /** HTTP status, or the SMTP reply code for email. */
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** Whether another attempt may succeed (5xx, 408, 429, network errors, SMTP 4xx). */
  retryable: boolean;
  /** A wait the receiver asked for (Retry-After), in ms. */
  retryAfterMs?: number;
}

export interface Notifier {
  send(notification: Notification): Promise<DeliveryResult>;
}
