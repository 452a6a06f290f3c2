import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import type { IncomingRequest } from './request.js';
import { HttpServer } from './server.js';

// Request smuggling: a request whose framing or target two HTTP parsers could read differently
// (the router and the app behind it) is answered 400 and the connection closed, as RFC 9112
// says; it never reaches the proxy, and nothing hidden in its body is read as a next request.
// Over real loopback sockets, byte for byte.

const servers: HttpServer[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.net.close();
  }
});

/** A server that answers every request with what it read, and records what reached it. */
async function serve(): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = new HttpServer(
    (req, res) => {
      void readBody(req).then((body) => {
        seen.push(`${req.method} ${req.url} host=${req.host ?? '-'} body=${JSON.stringify(body)}`);
        res.respond(200, ['content-type', 'text/plain'], `read ${req.method} ${req.url} ${JSON.stringify(body)}`);
      });
    },
    (req, socket) => {
      seen.push(`UPGRADE ${req.url}`);
      socket.destroy();
    },
  );
  servers.push(server);
  await server.listen({ port: 0, host: '127.0.0.1' });
  return { port: (server.net.address() as net.AddressInfo).port, seen };
}

function readBody(req: IncomingRequest): Promise<string> {
  if (req.body === null) return Promise.resolve('');
  const chunks: Buffer[] = [];
  req.body.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => req.body!.on('end', () => resolve(Buffer.concat(chunks).toString('latin1'))));
}

/** Sends `raw` on a fresh connection; what came back once the server closed it (bounded). */
async function exchange(port: number, raw: string, timeoutMs = 5_000): Promise<{ text: string; closed: boolean }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.setEncoding('latin1');
  socket.on('error', () => undefined);
  let text = '';
  socket.on('data', (d: string) => (text += d));
  await once(socket, 'connect');
  socket.write(raw);
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  socket.destroy();
  return { text, closed };
}

/** The request is refused: 400, `connection: close`, the connection closed, nothing proxied. */
async function assertRefused(raw: string): Promise<void> {
  const { port, seen } = await serve();
  const { text, closed } = await exchange(port, raw);
  assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/, `expected a 400 for ${JSON.stringify(raw)}, got ${JSON.stringify(text)}`);
  assert.equal(text.split('HTTP/1.1 ').length - 1, 1, `exactly one response: ${JSON.stringify(text)}`);
  assert.match(text, /\r\nconnection: close\r\n/i);
  assert.equal(closed, true, 'the server closes the connection after the 400');
  assert.deepEqual(seen, [], 'nothing reached the proxy');
}

// Smuggled: a second request that a parser reading the other framing would see.
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';

describe('router http server: request smuggling (RFC 9112)', () => {
  test('control: well-framed bodies, ordinary hosts (a port, IPv6) and HTTP/1.0 without Host pass, pipelined too', async () => {
    const { port, seen } = await serve();
    const chunked = 'POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
    const sized = 'POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nxyz';
    const { text } = await exchange(port, chunked + sized);
    assert.match(text, /read POST \/c "abc"/);
    assert.match(text, /read POST \/s "xyz"/);
    assert.deepEqual(seen, ['POST /c host=a body="abc"', 'POST /s host=a body="xyz"']);

    const hosts = await serve();
    const heads = ['GET /1 HTTP/1.1\r\nHost: web-production.localhost:8080\r\n\r\n', 'GET /2 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n', 'GET /3 HTTP/1.0\r\n\r\n'];
    const { text: answered } = await exchange(hosts.port, heads.join(''));
    assert.equal(answered.split('HTTP/1.1 200 OK').length - 1, 3, answered);
    assert.deepEqual(hosts.seen, ['GET /1 host=web-production.localhost:8080 body=""', 'GET /2 host=[::1]:8080 body=""', 'GET /3 host=- body=""']);
  });

  test('Content-Length with Transfer-Encoding is refused (CL.TE / TE.CL)', async () => {
    await assertRefused(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`);
    await assertRefused(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n${SMUGGLED}\r\n0\r\n\r\n`);
  });

  test('two Content-Lengths are refused, equal or not, as one line or two', async () => {
    await assertRefused(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`);
    await assertRefused('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc');
    await assertRefused('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc');
  });

  test('obs-fold (a header line continued on the next) is refused', async () => {
    await assertRefused('GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n');
    await assertRefused(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n chunked\r\n\r\n0\r\n\r\n`);
  });

  test('a bare LF as a line ending is refused, in the request line and in headers', async () => {
    await assertRefused('GET / HTTP/1.1\nHost: a\n\n');
    await assertRefused('GET / HTTP/1.1\r\nHost: a\nContent-Length: 3\r\n\r\nabc');
  });

  test('whitespace before a header\'s colon is refused', async () => {
    await assertRefused(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length : ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`);
  });

  test('two Host headers are refused, not routed by the first', async () => {
    await assertRefused('GET / HTTP/1.1\r\nHost: app-one.localhost\r\nHost: app-two.localhost\r\n\r\n');
    await assertRefused('GET / HTTP/1.1\r\nhost: app-one.localhost\r\nHOST: app-one.localhost\r\n\r\n');
    await assertRefused('GET /ws HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  });

  test('a Host that is not one host (a list, whitespace) and an HTTP/1.1 request without Host are refused', async () => {
    await assertRefused('GET / HTTP/1.1\r\nHost: app-one.localhost, app-two.localhost\r\n\r\n');
    await assertRefused('GET / HTTP/1.1\r\nHost: app one\r\n\r\n');
    await assertRefused('GET / HTTP/1.1\r\n\r\n');
  });

  test('a transfer coding the router does not implement is refused, not forwarded', async () => {
    await assertRefused(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`);
    await assertRefused('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n');
    await assertRefused('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n');
    await assertRefused('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n');
    await assertRefused('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
  });

  test('a refused request after a good one: the good one is answered first, the rest never read', async () => {
    const { port, seen } = await serve();
    const { text, closed } = await exchange(port, `GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /bad HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n${SMUGGLED}`);
    assert.ok(text.startsWith('HTTP/1.1 200 OK\r\n'), text);
    assert.ok(text.indexOf('read GET /ok') < text.indexOf('HTTP/1.1 400 Bad Request'), text);
    assert.equal(closed, true);
    assert.deepEqual(seen, ['GET /ok host=a body=""']);
  });
});
