import { createHmac } from 'node:crypto';
import { postJson, WEBHOOK_TIMEOUT_MS } from './http-post.js';
import type { DeliveryResult, Notification, Notifier } from './types.js';

export const SIGNATURE_HEADER = 'X-Wharf-Signature';
export const TIMESTAMP_HEADER = 'X-Wharf-Timestamp';

/** `sha256=<hex HMAC-SHA256 of the raw body>`: what a receiver recomputes and compares. */
export function signature(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** The generic webhook's body: the notification as JSON (its id is also sent as X-Wharf-Notification). */
export function webhookPayload(n: Notification): Record<string, unknown> {
  return {
    id: n.id,
    type: n.type,
    kind: n.kind,
    severity: n.severity,
    message: n.message,
    project: n.project,
    environment: n.environment,
    service: n.service,
    deployment: n.deployment,
    data: n.data,
    at: n.at,
  };
}

/** POST JSON, signed with the channel's secret. */
export class WebhookNotifier implements Notifier {
  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly timeoutMs = WEBHOOK_TIMEOUT_MS,
  ) {}

  send(n: Notification): Promise<DeliveryResult> {
    const body = JSON.stringify(webhookPayload(n));
    return postJson(this.url, body, {
      [SIGNATURE_HEADER]: signature(this.secret, body),
      [TIMESTAMP_HEADER]: String(Math.floor(Date.now() / 1000)),
      'X-Wharf-Notification': n.id,
    }, this.timeoutMs);
  }
}
