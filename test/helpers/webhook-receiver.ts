import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A local endpoint for Wharf's webhooks: records every delivery and whether its
// X-Wharf-Signature is the HMAC-SHA256 of the body with the rule's secret.

export interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The signature header matches the body signed with the secret. */
  valid: boolean;
}

export interface WebhookReceiver {
  /** Filled as deliveries arrive. */
  readonly received: Delivery[];
  /** Listens on 127.0.0.1 (a free port); resolves to the URL of `pathname`. */
  listen(pathname?: string): Promise<string>;
  close(): Promise<void>;
}

export function webhookReceiver(secret: string): WebhookReceiver {
  const received: Delivery[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-wharf-signature'] ?? ''));
      received.push({ headers: req.headers, body, valid: given.length === expected.length && timingSafeEqual(given, expected) });
      res.writeHead(200).end('ok');
    });
  });
  return {
    received,
    async listen(pathname = '/hook') {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}${pathname}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
