import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { removeHome, route, startRouter, startUpstream, table, type RouterUnderTest, type Upstream } from '../fixtures/router-harness.js';

// Request smuggling through the router process itself (its public listener, its proxy, real
// apps behind it): what the router refuses never reaches an app, and what it accepts reaches
// the app the Host names. The byte-level cases are in src/router/http/smuggling.test.ts.

describe('router process: request smuggling', () => {
  let router: RouterUnderTest;
  const apps: Upstream[] = [];
  /** What each app received: "method path host" per request. */
  const received: Record<string, string[]> = { one: [], two: [] };

  before(async () => {
    router = await startRouter();
    for (const name of ['one', 'two'] as const) {
      apps.push(
        await startUpstream((req, res) => {
          req.resume();
          req.on('end', () => {
            received[name]!.push(`${req.method} ${req.url} ${req.headers.host}`);
            res.end(name);
          });
        }),
      );
    }
    await router.client.putRoutes(table(route('one.test', [['rep_one', apps[0]!.url]]), route('two.test', [['rep_two', apps[1]!.url]])));
  });

  after(async () => {
    await router?.stop();
    await Promise.all(apps.map((a) => a.close()));
    if (router) await removeHome(router.home);
  });

  /** Raw bytes to the router; what it answered once it closed the connection (bounded). */
  async function exchange(raw: string): Promise<{ text: string; closed: boolean }> {
    const socket = net.connect({ port: router.port, host: '127.0.0.1' });
    socket.setEncoding('latin1');
    socket.on('error', () => undefined);
    let text = '';
    socket.on('data', (d: string) => (text += d));
    await once(socket, 'connect');
    socket.write(raw);
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5_000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    socket.destroy();
    return { text, closed };
  }

  const cases: Array<[string, string]> = [
    ['two Host headers', 'GET /h HTTP/1.1\r\nHost: one.test\r\nHost: two.test\r\n\r\n'],
    ['a Host list', 'GET /l HTTP/1.1\r\nHost: one.test, two.test\r\n\r\n'],
    ['Transfer-Encoding: xchunked', 'POST /x HTTP/1.1\r\nHost: one.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: two.test\r\n\r\n'],
    ['Content-Length with Transfer-Encoding', 'POST /c HTTP/1.1\r\nHost: one.test\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: two.test\r\n\r\n'],
    ['two Content-Lengths', 'POST /d HTTP/1.1\r\nHost: one.test\r\nContent-Length: 0\r\nContent-Length: 37\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: two.test\r\n\r\n'],
  ];

  for (const [name, raw] of cases) {
    test(`${name}: 400, the connection closed, no app sees a request`, async () => {
      const seen = structuredClone(received);
      const { text, closed } = await exchange(raw);
      assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/, text);
      assert.equal(closed, true);
      assert.deepEqual(received, seen, 'no app saw a request');
    });
  }

  test('control: a well-framed request after these reaches the app its Host names', async () => {
    const { text } = await exchange('POST /ok HTTP/1.1\r\nHost: two.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nhi\r\n0\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\ntwo$/, text);
    assert.deepEqual(received.two.at(-1), 'POST /ok two.test');
  });
});
