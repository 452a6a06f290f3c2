import { request } from 'undici';
import type { DeliveryResult } from './types.js';

export const WEBHOOK_TIMEOUT_MS = 10_000;

/** 2xx succeeds; 4xx other than 408 and 429 will not get better by retrying; the rest may. */
export function retryableStatus(status: number): boolean {
  if (status >= 400 && status < 500) return status === 408 || status === 429;
  return true;
}

function retryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** POSTs a body once, with a whole-request timeout; never throws. */
export async function postJson(url: string, body: string, headers: Record<string, string> = {}, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<DeliveryResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  try {
    const res = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'Wharf-Notifier/1', ...headers },
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    // Read (a little of) the answer so the connection is released, and keep it for the log.
    let text = '';
    for await (const chunk of res.body) {
      if (text.length < 300) text += (chunk as Buffer).toString('utf8');
    }
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return {
      ok,
      statusCode: res.statusCode,
      durationMs: elapsed(),
      error: ok ? null : `HTTP ${res.statusCode}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ''}`,
      retryable: !ok && retryableStatus(res.statusCode),
      retryAfterMs: res.statusCode === 429 || res.statusCode === 503 ? retryAfter(res.headers['retry-after']) : undefined,
    };
  } catch (error) {
    const err = error as Error & { code?: string; cause?: { code?: string; message?: string } };
    const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError' || err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT';
    const message = timedOut ? `no answer within ${timeoutMs / 1000} s` : (err.cause?.code ?? err.code ?? err.message);
    return { ok: false, statusCode: null, durationMs: elapsed(), error: message, retryable: true };
  }
}
