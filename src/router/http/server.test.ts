import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import type { IncomingRequest } from './request.js';
import type { OutgoingResponse } from './response.js';
import { HttpServer, type RequestHandler, type UpgradeHandler } from './server.js';

// The router's own HTTP/1.1 server over real loopback sockets, byte for byte: what node:http
// gave the router before (pipelining, 100-continue, 400/431, HTTP/1.0, keep-alive timeouts,
// graceful close, upgrades) must still hold.

const servers: HttpServer[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.net.close();
  }
});

async function serve(handler: RequestHandler, options: { upgrade?: UpgradeHandler; keepAliveTimeoutMs?: number } = {}): Promise<{ server: HttpServer; port: number }> {
  const server = new HttpServer(handler, options.upgrade ?? ((_req, socket) => socket.destroy()), {
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 65_000,
  });
  servers.push(server);
  await server.listen({ port: 0, host: '127.0.0.1' });
  return { server, port: (server.net.address() as net.AddressInfo).port };
}

/** A raw client: what the server sent, as text, and whether it closed. */
class RawClient {
  readonly socket: net.Socket;
  text = '';
  closed = false;
  private waiters: Array<() => void> = [];

  constructor(port: number) {
    this.socket = net.connect({ port, host: '127.0.0.1' });
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => {
      this.text += d;
      this.wake();
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static async open(port: number): Promise<RawClient> {
    const c = new RawClient(port);
    await once(c.socket, 'connect');
    return c;
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits (bounded) until `done` holds for what was received. */
  async until(done: (text: string, closed: boolean) => boolean, what: string, timeoutMs = 5_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.text, this.closed)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.text)} closed=${this.closed}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.text;
  }

  untilClosed(timeoutMs = 5_000): Promise<string> {
    return this.until((_t, closed) => closed, 'the server to close the connection', timeoutMs);
  }

  count(needle: string): number {
    return this.text.split(needle).length - 1;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

const text = (res: OutgoingResponse, status: number, body: string, extra: string[] = []) =>
  res.respond(status, ['content-type', 'text/plain', ...extra], body);

function readBody(req: IncomingRequest): Promise<string> {
  if (req.body === null) return Promise.resolve('');
  const chunks: Buffer[] = [];
  req.body.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => req.body!.on('end', () => resolve(Buffer.concat(chunks).toString())));
}

describe('router http server', () => {
  test('answers keep-alive requests on one connection, with a Date header', async () => {
    const { port } = await serve((req, res) => text(res, 200, `you asked ${req.method} ${req.url}`));
    const c = await RawClient.open(port);
    c.send('GET /a HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.until((t) => t.endsWith('you asked GET /a'), 'the first response');
    c.send('GET /b?q=1 HTTP/1.1\r\nHost: x\r\n\r\n');
    const all = await c.until((t) => t.endsWith('you asked GET /b?q=1'), 'the second response');
    assert.equal(c.count('HTTP/1.1 200 OK\r\n'), 2);
    assert.match(all, /\r\ndate: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/);
    assert.equal(c.closed, false);
    c.destroy();
  });

  test('pipelined requests are answered in order, even when a later one is ready first', async () => {
    const { port } = await serve((req, res) => {
      // The first one is the slowest: its answer must still come first.
      const delay = req.url === '/1' ? 100 : req.url === '/2' ? 30 : 0;
      setTimeout(() => text(res, 200, `body ${req.url}`), delay);
    });
    const c = await RawClient.open(port);
    c.send('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n');
    const all = await c.until((t) => t.includes('body /3'), 'three responses');
    assert.ok(all.indexOf('body /1') < all.indexOf('body /2') && all.indexOf('body /2') < all.indexOf('body /3'), all);
    c.destroy();
  });

  test('300 pipelined requests in one packet, answered at once, all come back in order', async () => {
    const { port } = await serve((req, res) => text(res, 200, `<${req.url}>`));
    const c = await RawClient.open(port);
    let batch = '';
    for (let i = 0; i < 300; i++) batch += `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
    c.send(batch);
    const all = await c.until((t) => t.includes('</299>'), 'the 300th response');
    const order = [...all.matchAll(/<\/(\d+)>/g)].map((m) => Number(m[1]));
    assert.deepEqual(order, Array.from({ length: 300 }, (_, i) => i));
    c.destroy();
  });

  test('Expect: 100-continue gets "100 Continue" before the body is sent; another expectation gets 417', async () => {
    let seen = '';
    const { port } = await serve(async (req, res) => {
      seen = await readBody(req);
      text(res, 200, `got ${seen.length} bytes`);
    });
    const c = await RawClient.open(port);
    c.send('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await c.until((t) => t.startsWith('HTTP/1.1 100 Continue\r\n\r\n'), '100 Continue');
    c.send('hello');
    await c.until((t) => t.endsWith('got 5 bytes'), 'the final response');
    assert.equal(seen, 'hello');
    c.destroy();

    const d = await RawClient.open(port);
    d.send('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: something-else\r\n\r\nhello');
    const refused = await d.untilClosed();
    assert.match(refused, /^HTTP\/1.1 417 Expectation Failed\r\n/);
    assert.match(refused, /\r\nconnection: close\r\n/);
  });

  test('bytes that are not HTTP get a 400 and the connection closes', async () => {
    let called = false;
    const { port } = await serve((_req, res) => {
      called = true;
      text(res, 200, 'no');
    });
    const c = await RawClient.open(port);
    c.send('HELLO THERE\r\n\r\n');
    const got = await c.untilClosed();
    assert.match(got, /^HTTP\/1.1 400 Bad Request\r\n/);
    assert.match(got, /\r\nconnection: close\r\n/);
    assert.equal(called, false);
  });

  test('a valid request before garbage is answered first, then the 400', async () => {
    const { port } = await serve((req, res) => setTimeout(() => text(res, 200, `fine ${req.url}`), 30));
    const c = await RawClient.open(port);
    c.send('GET /ok HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n');
    const got = await c.untilClosed();
    assert.ok(got.startsWith('HTTP/1.1 200 OK\r\n'), got);
    assert.ok(got.indexOf('fine /ok') < got.indexOf('HTTP/1.1 400 Bad Request'), got);
  });

  test('a header block over 16 KiB gets 431', async () => {
    const { port } = await serve((_req, res) => text(res, 200, 'no'));
    const c = await RawClient.open(port);
    c.send(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const got = await c.untilClosed();
    assert.match(got, /^HTTP\/1.1 431 Request Header Fields Too Large\r\n/);
  });

  test('HTTP/1.0: closed after the response unless it asks for keep-alive; no length means close-delimited', async () => {
    const { port } = await serve((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, 'OK', ['content-type', 'text/plain']);
        res.write(Buffer.from('part one, '));
        setTimeout(() => {
          res.write(Buffer.from('part two'));
          res.end();
        }, 20);
        return;
      }
      text(res, 200, 'one-oh');
    });
    const plain = await RawClient.open(port);
    plain.send('GET / HTTP/1.0\r\n\r\n');
    const a = await plain.untilClosed();
    assert.match(a, /\r\nconnection: close\r\n/);
    assert.ok(a.endsWith('one-oh'));

    const kept = await RawClient.open(port);
    kept.send('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await kept.until((t) => t.endsWith('one-oh'), 'the keep-alive response');
    assert.match(kept.text, /\r\nconnection: keep-alive\r\n/);
    kept.send('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await kept.until(() => kept.count('one-oh') === 2, 'a second response on the same connection');
    assert.equal(kept.closed, false);
    kept.destroy();

    const streamed = await RawClient.open(port);
    streamed.send('GET /stream HTTP/1.0\r\n\r\n');
    const s = await streamed.untilClosed();
    assert.doesNotMatch(s, /transfer-encoding/i);
    assert.ok(s.endsWith('\r\n\r\npart one, part two'), s);
  });

  test('a body without a length goes chunked to HTTP/1.1 clients; the app\'s hop-by-hop headers are dropped', async () => {
    const { port } = await serve((_req, res) => {
      res.writeHead(200, 'OK', ['Content-Type', 'text/plain', 'Connection', 'x-secret', 'Transfer-Encoding', 'chunked', 'Keep-Alive', 'timeout=1', 'X-Secret', 'y', 'X-App', 'kept']);
      res.write(Buffer.from('hello '));
      setTimeout(() => {
        res.write(Buffer.from('world'));
        res.end();
      }, 20);
    });
    const c = await RawClient.open(port);
    c.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const got = await c.until((t) => t.endsWith('0\r\n\r\n'), 'the last chunk');
    const [head, body] = got.split('\r\n\r\n', 2) as [string, string];
    assert.match(head, /\r\ntransfer-encoding: chunked/);
    assert.equal(head.match(/transfer-encoding/gi)?.length, 1, head);
    assert.doesNotMatch(head, /keep-alive: timeout=1|Connection: x-secret/i);
    assert.match(head, /\r\nX-App: kept/);
    assert.equal(got.slice(head.length + 4), '6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n', body);
    c.destroy();
  });

  test('HEAD and 204 carry no body bytes, and the connection stays usable', async () => {
    const { port } = await serve((req, res) => {
      if (req.url === '/empty') {
        res.writeHead(204, '', []);
        res.write(Buffer.from('must not be sent'));
        res.end();
        return;
      }
      res.writeHead(200, 'OK', ['content-length', '11']);
      res.write(Buffer.from('hello world'));
      res.end();
    });
    const c = await RawClient.open(port);
    c.send('HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /empty HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const got = await c.until((t) => t.endsWith('hello world'), 'the GET after HEAD and 204');
    assert.equal(c.count('hello world'), 1, got);
    assert.doesNotMatch(got, /must not be sent/);
    assert.match(got, /^HTTP\/1.1 200 OK\r\ncontent-length: 11\r\n/);
    assert.match(got, /HTTP\/1.1 204 No Content\r\n/);
    c.destroy();
  });

  test('an idle connection closes after the keep-alive timeout, so does one that stalls mid-head', async () => {
    const { server, port } = await serve((_req, res) => text(res, 200, 'ok'), { keepAliveTimeoutMs: 300 });
    const idle = await RawClient.open(port);
    idle.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await idle.until((t) => t.endsWith('ok'), 'the response');
    const stalled = await RawClient.open(port);
    stalled.send('GET / HTTP/1.1\r\nHost: x\r\nX-Half');
    await idle.untilClosed(3_000);
    await stalled.untilClosed(3_000);
    assert.equal(stalled.text, '');
    for (let i = 0; i < 50 && server.connectionCount > 0; i++) await sleep(10);
    assert.equal(server.connectionCount, 0);
  });

  test('a request body nobody reads stops the client (backpressure reaches the socket)', async () => {
    let body: IncomingRequest['body'] = null;
    const { port } = await serve((req) => {
      body = req.body; // never read
    });
    const c = await RawClient.open(port);
    c.send('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 268435456\r\n\r\n');
    const chunk = Buffer.alloc(64 * 1024, 97);
    let accepted = 0;
    // Bounded: at most 256 MiB offered; a server that keeps reading takes it all within seconds.
    for (let i = 0; i < 4096; i++) {
      if (!c.socket.write(chunk)) {
        const drained = await Promise.race([once(c.socket, 'drain').then(() => true), sleep(300).then(() => false)]);
        if (!drained) break;
      }
      accepted += chunk.length;
    }
    assert.ok(body !== null, 'the request was dispatched');
    assert.ok(accepted < 64 * 1024 * 1024, `the client wrote ${accepted} bytes before being stopped`);
    c.destroy();
  });

  test('a client that goes away mid-response is reported to the response observer', async () => {
    let closed!: () => void;
    const reported = new Promise<void>((resolve) => (closed = resolve));
    const { server, port } = await serve((_req, res) => {
      res.observer = { drained: () => undefined, clientClosed: () => closed() };
      res.writeHead(200, 'OK', []);
      res.write(Buffer.from('first part'));
    });
    const c = await RawClient.open(port);
    c.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.until((t) => t.includes('first part'), 'the first part');
    assert.equal(server.inflight, 1);
    c.destroy();
    await reported;
    assert.equal(server.inflight, 0);
  });

  test('close(): idle connections close at once, a busy one after its response (connection: close), new ones are refused', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { server, port } = await serve(async (req, res) => {
      if (req.url === '/slow') await gate;
      text(res, 200, `done ${req.url}`);
    });
    const idle = await RawClient.open(port);
    idle.send('GET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
    await idle.until((t) => t.endsWith('done /fast'), 'the fast response');
    const busy = await RawClient.open(port);
    busy.send('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let i = 0; i < 200 && server.inflight === 0; i++) await sleep(5);
    assert.equal(server.inflight, 1, 'the slow request is in progress');
    server.close();
    await idle.untilClosed();
    await assert.rejects(RawClient.open(port), /ECONNREFUSED/);
    assert.equal(busy.closed, false);
    release();
    const got = await busy.untilClosed();
    assert.match(got, /\r\nconnection: close\r\n/);
    assert.ok(got.endsWith('done /slow'));
  });

  test('an upgrade gets the raw socket and the bytes after its head, after earlier pipelined responses', async () => {
    const upgraded: Array<{ url: string; head: string }> = [];
    const { port } = await serve((req, res) => setTimeout(() => text(res, 200, `plain ${req.url}`), 50), {
      upgrade: (req, socket, head) => {
        upgraded.push({ url: req.url, head: head.toString() });
        socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\n\r\n');
        socket.on('data', (d) => socket.write(d));
        socket.resume();
      },
    });
    const c = await RawClient.open(port);
    c.send('GET /before HTTP/1.1\r\nHost: x\r\n\r\nGET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly-bytes');
    await c.until((t) => t.includes('101 Switching Protocols'), 'the switch');
    assert.ok(c.text.indexOf('plain /before') < c.text.indexOf('101 Switching'), c.text);
    assert.deepEqual(upgraded, [{ url: '/ws', head: 'early-bytes' }]);
    c.send('ping');
    await c.until((t) => t.endsWith('ping'), 'the echo');
    c.destroy();
  });

  test('CONNECT is refused by closing the connection', async () => {
    let called = false;
    const { port } = await serve(() => (called = true), { upgrade: () => (called = true) });
    const c = await RawClient.open(port);
    c.send('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    await c.untilClosed();
    assert.equal(called, false);
  });
});
