import nodemailer from 'nodemailer';
import type { SmtpConfig } from '../store/alerts.js';
import { plainText, title } from './format.js';
import type { DeliveryResult, Notification, Notifier } from './types.js';

export const SMTP_TIMEOUT_MS = 10_000;

/** Email over SMTP: one message per notification to every recipient. */
export class EmailNotifier implements Notifier {
  constructor(
    private readonly smtp: SmtpConfig,
    private readonly from: string,
    private readonly to: string[],
    private readonly timeoutMs = SMTP_TIMEOUT_MS,
  ) {}

  async send(n: Notification): Promise<DeliveryResult> {
    const started = performance.now();
    const transport = nodemailer.createTransport({
      host: this.smtp.host,
      port: this.smtp.port,
      secure: this.smtp.secure,
      auth: this.smtp.user ? { user: this.smtp.user, pass: this.smtp.password ?? '' } : undefined,
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
    });
    try {
      const info = await transport.sendMail({
        from: this.from,
        to: this.to,
        subject: title(n),
        text: plainText(n),
        headers: { 'X-Wharf-Notification': n.id, 'X-Wharf-Kind': n.kind },
      });
      const code = Number(/^(\d{3})/.exec(String(info.response ?? ''))?.[1] ?? 250);
      const rejected = (info.rejected ?? []).map(String);
      if (rejected.length > 0 && (info.accepted ?? []).length === 0) {
        return { ok: false, statusCode: code, durationMs: performance.now() - started, error: `every recipient was rejected: ${rejected.join(', ')}`, retryable: false };
      }
      return { ok: true, statusCode: code, durationMs: performance.now() - started, error: null, retryable: false };
    } catch (error) {
      const err = error as Error & { responseCode?: number; code?: string; response?: string };
      const code = typeof err.responseCode === 'number' ? err.responseCode : null;
      // SMTP 4xx replies are transient by definition; 5xx (and a refused login) are not.
      const retryable = code === null ? err.code !== 'EAUTH' && err.code !== 'EENVELOPE' : code < 500;
      return { ok: false, statusCode: code, durationMs: performance.now() - started, error: `${err.code ? `${err.code}: ` : ''}${err.response ?? err.message}`.slice(0, 300), retryable };
    } finally {
      transport.close();
    }
  }
}
