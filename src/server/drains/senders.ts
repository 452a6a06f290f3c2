import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { request } from 'undici';
import { SYSLOG_FACILITIES, type DrainTarget } from '../../core/drains.js';
import { toNdjson, type DrainRecord } from './record.js';
import { octetCountingFrame, recordToSyslog } from './syslog.js';

// How a batch of records reaches a drain. A sender never throws: it answers whether the batch
// arrived, and whether trying again may help. Errors name what failed, never a secret (the
// shipper scrubs them again before they are stored).

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** false: the receiver refused this batch for good (a 4xx other than 408/429). */
  retryable: boolean;
}

export interface DrainSender {
  send(records: readonly DrainRecord[]): Promise<SendResult>;
  close(): void;
}

export const SEND_TIMEOUT_MS = 15_000;
/** Largest syslog message over TCP/TLS (longer ones are cut), and over UDP (one datagram). */
export const MAX_STREAM_MESSAGE_BYTES = 64 * 1024;
export const MAX_DATAGRAM_BYTES = 8 * 1024;

/** `tls`: extra TLS options (tests give their own CA; by default Node's CA list is used). */
export function senderFor(target: DrainTarget, timeoutMs = SEND_TIMEOUT_MS, tlsOptions: tls.ConnectionOptions = {}): DrainSender {
  switch (target.transport) {
    case 'http':
      return new HttpSender(target, timeoutMs);
    case 'syslog+tcp':
    case 'syslog+tls':
      return new SyslogStreamSender(target, timeoutMs, tlsOptions);
    case 'syslog+udp':
      return new SyslogUdpSender(target, timeoutMs);
  }
}

function errorText(error: unknown): string {
  const err = error as Error & { code?: string; cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.code ?? err.cause?.message ?? err.message ?? String(error);
}

/** 2xx arrived; 4xx other than 408 and 429 will not get better by sending again. */
function retryableStatus(status: number): boolean {
  return !(status >= 400 && status < 500) || status === 408 || status === 429;
}

/** POSTs newline-delimited JSON; user:password in the URL becomes Basic auth. */
export class HttpSender implements DrainSender {
  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(target: DrainTarget, private readonly timeoutMs: number) {
    const url = new URL(target.url);
    const auth = url.username || url.password ? Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64') : null;
    url.username = '';
    url.password = '';
    this.url = url.toString();
    this.headers = {
      'content-type': 'application/x-ndjson',
      'user-agent': 'Wharf-LogDrain/1',
      ...(auth ? { authorization: `Basic ${auth}` } : {}),
      ...target.headers,
    };
  }

  async send(records: readonly DrainRecord[]): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const res = await request(this.url, {
        method: 'POST',
        body: toNdjson(records),
        headers: this.headers,
        signal: AbortSignal.timeout(this.timeoutMs),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      let text = '';
      for await (const chunk of res.body) if (text.length < 300) text += (chunk as Buffer).toString('utf8');
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      const body = text.replace(/\s+/g, ' ').trim().slice(0, 200);
      return { ok, statusCode: res.statusCode, durationMs: elapsed(), error: ok ? null : `HTTP ${res.statusCode}${body ? `: ${body}` : ''}`, retryable: ok || retryableStatus(res.statusCode) };
    } catch (error) {
      const err = error as Error & { code?: string };
      const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError' || err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT';
      return { ok: false, statusCode: null, durationMs: elapsed(), error: timedOut ? `no answer within ${this.timeoutMs / 1000} s` : errorText(error), retryable: true };
    }
  }

  close(): void {}
}

/**
 * Syslog over one long-lived TCP or TLS connection, octet-counted. A batch counts as sent once
 * the kernel has taken it (syslog has no acknowledgements); a broken connection is opened again
 * for the next attempt, and the batch is sent again whole.
 */
export class SyslogStreamSender implements DrainSender {
  private socket: net.Socket | null = null;
  private readonly facility: number;

  constructor(
    private readonly target: DrainTarget,
    private readonly timeoutMs: number,
    private readonly tlsOptions: tls.ConnectionOptions = {},
  ) {
    this.facility = SYSLOG_FACILITIES[target.facility];
  }

  private connect(): Promise<net.Socket> {
    const { host, port } = this.target;
    return new Promise((resolve, reject) => {
      const socket = this.target.transport === 'syslog+tls' ? tls.connect({ ...this.tlsOptions, host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
      const event = this.target.transport === 'syslog+tls' ? 'secureConnect' : 'connect';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`could not connect within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once(event, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setKeepAlive(true, 30_000);
        // The receiver closing or failing ends this connection; the next batch opens another.
        const drop = () => {
          if (this.socket === socket) this.socket = null;
          socket.destroy();
        };
        socket.on('error', drop);
        socket.on('end', drop);
        socket.on('close', drop);
        socket.on('data', () => {}); // nothing is expected back; read it so it never piles up
        resolve(socket);
      });
    });
  }

  async send(records: readonly DrainRecord[]): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const payload = Buffer.concat(records.map((r) => octetCountingFrame(recordToSyslog(r, { facility: this.facility, token: this.target.token, maxBytes: MAX_STREAM_MESSAGE_BYTES }))));
    try {
      if (!this.socket || this.socket.destroyed) this.socket = await this.connect();
      const socket = this.socket;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the receiver took nothing for ${this.timeoutMs / 1000} s`)), this.timeoutMs);
        const onClose = () => reject(new Error('the receiver closed the connection'));
        socket.once('close', onClose);
        socket.write(payload, (error) => {
          clearTimeout(timer);
          socket.off('close', onClose);
          if (error) reject(error);
          else resolve();
        });
      });
      return { ok: true, statusCode: null, durationMs: elapsed(), error: null, retryable: true };
    } catch (error) {
      this.socket?.destroy();
      this.socket = null;
      return { ok: false, statusCode: null, durationMs: elapsed(), error: errorText(error), retryable: true };
    }
  }

  close(): void {
    this.socket?.end();
    this.socket?.destroy();
    this.socket = null;
  }
}

/** Syslog over UDP: one message per datagram, cut to 8 KiB; nothing confirms arrival. */
export class SyslogUdpSender implements DrainSender {
  private socket: dgram.Socket | null = null;
  private readonly facility: number;

  constructor(private readonly target: DrainTarget, private readonly timeoutMs: number) {
    this.facility = SYSLOG_FACILITIES[target.facility];
  }

  async send(records: readonly DrainRecord[]): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      if (!this.socket) {
        const socket = dgram.createSocket(net.isIPv6(this.target.host) ? 'udp6' : 'udp4');
        socket.on('error', () => {
          socket.close();
          if (this.socket === socket) this.socket = null;
        });
        socket.unref();
        this.socket = socket;
      }
      const socket = this.socket;
      for (const record of records) {
        const message = Buffer.from(recordToSyslog(record, { facility: this.facility, token: this.target.token, maxBytes: MAX_DATAGRAM_BYTES }));
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`could not send within ${this.timeoutMs / 1000} s`)), this.timeoutMs);
          socket.send(message, this.target.port, this.target.host, (error) => {
            clearTimeout(timer);
            if (error) reject(error);
            else resolve();
          });
        });
      }
      return { ok: true, statusCode: null, durationMs: elapsed(), error: null, retryable: true };
    } catch (error) {
      try {
        this.socket?.close();
      } catch {
        /* already closed */
      }
      this.socket = null;
      return { ok: false, statusCode: null, durationMs: elapsed(), error: errorText(error), retryable: true };
    }
  }

  close(): void {
    try {
      this.socket?.close();
    } catch {
      /* already closed */
    }
    this.socket = null;
  }
}
