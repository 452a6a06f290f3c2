import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { get, removeHome, route, startRouter, startUpstream, table, type RouterUnderTest, type Upstream } from '../fixtures/router-harness.js';
import { waitFor } from '../helpers/wait.js';
import { runs } from './fuzz.js';

// The router's request parsing, from the outside: raw bytes to a real router process over
// loopback. Whatever a client sends, the router answers with well-formed HTTP/1.1 or closes the
// connection, promptly once the client has finished (no hang), and never crashes; afterwards
// no connection and no in-flight request is left counted.
//
// Inputs: requests built from parts that parsers get wrong (methods, targets, versions, Host,
// Content-Length, Transfer-Encoding, Connection, Upgrade and Expect headers with odd values,
// bare LF, CR and obs-fold line ends, chunked bodies with odd sizes and extensions), one to three
// pipelined, and some with random edits; plus random bytes. Each is written in random pieces, and
// a run sends up to three connections at once.

let router: RouterUnderTest;
let app: Upstream;

before(async () => {
  app = await startUpstream((req, res) => {
    let size = 0;
    req.on('data', (c: Buffer) => (size += c.length));
    req.on('error', () => undefined);
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, size }));
    });
  });
  router = await startRouter();
  await router.client.putRoutes(table(route('app.test', [['rep_app', app.url]])));
});

after(async () => {
  await router?.stop();
  await app?.close();
  if (router) await removeHome(router.home);
});

const EOL = fc.oneof({ weight: 12, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('\n', '\r', '\r\n ', '\r\r\n', '\n\r') });
const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const method = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH') }, { weight: 1, arbitrary: fc.constantFrom('CONNECT', 'PRI', 'TRACE', 'get', 'G ET', '', 'GET\0') }, { weight: 1, arbitrary: token });
const target = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('/', '/a/b?c=d', '/%00', '/%zz', '/?' + 'q'.repeat(300)) }, { weight: 1, arbitrary: fc.constantFrom('*', 'http://app.test/x', '//app.test', 'app.test:80', '', ' / ', '/\x7f') }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) });
const version = fc.oneof({ weight: 8, arbitrary: fc.constant('HTTP/1.1') }, { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'http/1.1', 'HTTP/1.1 ', 'HTTP/1.10', 'HTTP/9.9', '') });

const header = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<[string, string]>(['Host', 'app.test'], ['Host', 'app.test:8080'], ['host', 'APP.TEST']) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Host', 'Host ', ' Host', 'Ho\0st'), fc.constantFrom('', 'other.test', 'app.test, other.test', 'app.test\0', '[::1]', 'app.test:99999', 'a'.repeat(300))) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('Content-Length', 'content-length', 'Content-Length '), fc.constantFrom('0', '3', '5', '10', '-1', '+5', '1e3', '0x5', '5, 5', '5,6', ' 5 ', '99999999999999999999', '')) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('Transfer-Encoding', 'transfer-encoding', 'Transfer-Encoding '), fc.constantFrom('chunked', 'CHUNKED', 'xchunked', 'gzip, chunked', 'chunked, gzip', 'identity', 'chunked, chunked', ' chunked', '')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Connection', 'Upgrade', 'Expect', 'Keep-Alive', 'TE', 'Trailer', 'Proxy-Connection'), fc.constantFrom('close', 'keep-alive', 'upgrade', 'Upgrade', 'websocket', 'h2c', '100-continue', 'x', 'close, upgrade', 'trailers', 'timeout=0')) },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(token, fc.constantFrom('', ' ', 'X Y', 'X:Y', 'X\0', 'é')), fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('a\r\nInjected: 1', 'a\nb', '\0', ' '.repeat(10)))) },
);

const chunked = fc
  .array(fc.tuple(fc.oneof({ weight: 6, arbitrary: fc.nat(20) }, { weight: 1, arbitrary: fc.constantFrom(-1, 0x7fffffff) }), fc.constantFrom('', ';a=b', ';' + 'x'.repeat(200), ' ', 'z')), { maxLength: 4 })
  .map((chunks) => chunks.map(([size, ext]) => `${size < 0 ? 'g' : size.toString(16)}${ext}\r\n${'x'.repeat(Math.min(Math.max(size, 0), 20))}\r\n`).join('') + '0\r\n\r\n');
const body = fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 2, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 2, arbitrary: chunked });

const request = fc.record({ method, target, version, headers: fc.array(header, { maxLength: 6 }), eol: EOL, body }).map(({ method: m, target: t, version: v, headers, eol, body: b }) => {
  const line = v === '' ? `${m} ${t}` : `${m} ${t} ${v}`;
  return `${line}${eol}${headers.map(([n, val]) => `${n}: ${val}${eol}`).join('')}${eol}${b}`;
});

const edited = fc.tuple(request, fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom('\r', '\n', '\0', ' ', ':', '\r\n\r\n'), fc.string({ maxLength: 3 }))), { minLength: 1, maxLength: 3 })).map(([text, edits]) => {
  for (const [at, insert] of edits) {
    const i = at % (text.length + 1);
    text = text.slice(0, i) + insert + text.slice(i + 1);
  }
  return text;
});

const stream = fc.oneof(
  { weight: 6, arbitrary: fc.array(request, { minLength: 1, maxLength: 3 }).map((r) => Buffer.from(r.join(''), 'latin1')) },
  { weight: 2, arbitrary: edited.map((t) => Buffer.from(t, 'latin1')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
);
// Cut points: the same bytes written in pieces, as a slow or fragmented client sends them.
const pieces = fc.tuple(stream, fc.array(fc.nat(), { maxLength: 4 })).map(([bytes, cuts]) => {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out.filter((b) => b.length > 0);
});

const QUIET_MS = 100;
const CLOSE_WITHIN_MS = 5_000;

/**
 * Sends the pieces, waits until the router has been quiet for a moment (an answer came, or it is
 * waiting for more), ends the client's side, and then expects the router to close.
 */
function exchange(port: number, parts: Buffer[]): Promise<{ received: string; closed: boolean; error: string | null }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = '';
    let error: string | null = null;
    let quiet: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => finish(false), CLOSE_WITHIN_MS + QUIET_MS * 4);
    const finish = (closed: boolean) => {
      clearTimeout(deadline);
      clearTimeout(quiet);
      socket.destroy();
      resolve({ received, closed, error });
    };
    const settle = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => socket.end(), QUIET_MS);
    };
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      received += d;
      settle();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on('close', () => finish(true));
    socket.once('connect', async () => {
      for (const part of parts) {
        if (socket.destroyed) break;
        socket.write(part);
        await new Promise((r) => setImmediate(r));
      }
      settle();
    });
  });
}

const STATUS_LINE = /^HTTP\/1\.1 [1-5]\d\d [^\r\n]*\r\n/;

test('fuzz: whatever a client sends, the router answers well-formed HTTP or closes, promptly, and keeps running', { timeout: 120_000 }, async () => {
  const pid = router.pid;
  await fc.assert(
    fc.asyncProperty(fc.array(pieces, { minLength: 1, maxLength: 3 }), async (connections) => {
      const results = await Promise.all(connections.map((parts) => exchange(router.port, parts)));
      for (const r of results) {
        assert.notEqual(r.error, 'ECONNREFUSED', 'the router is gone');
        assert.ok(r.closed, `the router closed the connection within ${CLOSE_WITHIN_MS} ms of the client's end (got ${JSON.stringify(r.received.slice(0, 200))})`);
        if (r.received !== '') assert.match(r.received, STATUS_LINE, `a well-formed answer: ${JSON.stringify(r.received.slice(0, 200))}`);
      }
    }),
    runs(300),
  );
  const health = await router.client.health();
  assert.equal(health?.pid, pid, 'the same router process is still serving');
  assert.equal((await get(router.port, 'app.test')).status, 200);
  // Nothing leaked: every connection closed and every proxied request ended is accounted for.
  await waitFor('connections and in-flight requests to drain', async () => {
    const stats = await router.client.stats();
    return stats.connections?.open === 0 && stats.targets.every((t) => t.inflight === 0) ? stats : undefined;
  }, 10_000);
});
