import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import type { Route } from '../../src/core/routes.js';
import { routerLogFile } from '../../src/router/launch.js';
import {
  admin,
  connectError,
  freePort,
  get,
  namedUpstream,
  removeHome,
  route,
  startRouter,
  startUpstream,
  table,
  type RouterUnderTest,
  type Upstream,
} from '../fixtures/router-harness.js';
import { waitFor } from '../helpers/wait.js';

// The router as its own process: real upstream servers, real sockets, real signals.

describe('router', () => {
  let router: RouterUnderTest;
  const upstreams: Upstream[] = [];
  const upstream = async (u: Promise<Upstream>) => {
    const started = await u;
    upstreams.push(started);
    return started;
  };

  before(async () => {
    router = await startRouter();
  });

  after(async () => {
    await router?.stop();
    await Promise.all(upstreams.map((u) => u.close()));
    if (router) await removeHome(router.home);
  });

  test('routes by Host header and round-robins across targets', async () => {
    const a = await upstream(namedUpstream('a'));
    const b = await upstream(namedUpstream('b'));
    const other = await upstream(namedUpstream('other'));
    await router.client.putRoutes(table(route('rr.test', [['rep_a', a.url], ['rep_b', b.url]]), route('other.test', [['rep_o', other.url]])));

    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) bodies.push((await get(router.port, 'RR.test:80')).body);
    assert.deepEqual(bodies.filter((x) => x === 'a').length, 3);
    assert.deepEqual(bodies.filter((x) => x === 'b').length, 3);
    assert.notEqual(bodies[0], bodies[1], 'consecutive requests alternate');
    assert.equal((await get(router.port, 'other.test')).body, 'other');
  });

  test('unknown host: 404 page, JSON when the client asks for it', async () => {
    const html = await get(router.port, 'nowhere.test');
    assert.equal(html.status, 404);
    assert.match(html.headers['content-type'] ?? '', /text\/html/);
    assert.match(html.body, /No service is routed at nowhere\.test/);
    assert.match(html.body, /wharf status/);

    const json = await get(router.port, 'nowhere.test', '/', { accept: 'application/json' });
    assert.equal(json.status, 404);
    const body = JSON.parse(json.body) as { error: { code: string; message: string } };
    assert.equal(body.error.message, 'No service is routed at nowhere.test');
  });

  test('a route with no targets answers 503 with Retry-After', async () => {
    await router.client.putRoutes(table(route('empty.test', [])));
    const res = await get(router.port, 'empty.test');
    assert.equal(res.status, 503);
    assert.ok(res.headers['retry-after']);
    assert.match(res.body, /empty\.test has no ready replica/);
  });

  test('502 when the only target is dead, without leaking its address', async () => {
    const deadPort = await freePort();
    await router.client.putRoutes(table(route('dead.test', [['rep_dead', `http://127.0.0.1:${deadPort}`]])));
    const res = await get(router.port, 'dead.test');
    assert.equal(res.status, 502);
    assert.match(res.body, /dead\.test: the app did not answer/);
    assert.ok(!res.body.includes(String(deadPort)));
  });

  test('a refused connection is retried on the next target', async () => {
    const deadPort = await freePort();
    const live = await upstream(namedUpstream('live'));
    await router.client.putRoutes(
      table(route('retry.test', [['rep_refuses', `http://127.0.0.1:${deadPort}`], ['rep_live', live.url]])),
    );
    for (let i = 0; i < 4; i++) {
      const res = await get(router.port, 'retry.test');
      assert.equal(res.status, 200);
      assert.equal(res.body, 'live');
    }
    const stats = await router.client.stats();
    const refused = stats.targets.find((t) => t.id === 'rep_refuses');
    assert.ok(refused && refused.requests >= 1, 'the dead target was tried');
    assert.equal(refused.inflight, 0);
  });

  test('forwards X-Forwarded-*, keeps Host, strips hop-by-hop headers', async () => {
    const echo = await upstream(
      startUpstream((req, res) => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-from-app', 'yes');
        res.end(JSON.stringify(req.headers));
      }),
    );
    await router.client.putRoutes(table(route('headers.test', [['rep_echo', echo.url]])));
    const res = await get(router.port, `headers.test:${router.port}`, '/', {
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'https',
      connection: 'keep-alive, x-private',
      'x-private': 'secret',
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-from-app'], 'yes');
    const seen = JSON.parse(res.body) as Record<string, string>;
    assert.equal(seen.host, `headers.test:${router.port}`);
    assert.equal(seen['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(seen['x-forwarded-proto'], 'http');
    assert.equal(seen['x-forwarded-host'], `headers.test:${router.port}`);
    assert.equal(seen['x-forwarded-port'], String(router.port));
    assert.equal(seen['x-private'], undefined, 'headers named in Connection are hop-by-hop');
  });

  test('streams the response: the first chunk arrives before the app ends it', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const slow = await upstream(
      startUpstream((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first;');
        // The app ends only once the client has seen the first chunk: a buffering proxy deadlocks here.
        void released.then(() => res.end('second'));
      }),
    );
    await router.client.putRoutes(table(route('stream.test', [['rep_stream', slow.url]])));

    const body = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('first chunk never arrived: the response is buffered')), 5_000);
      const req = http.request({ host: '127.0.0.1', port: router.port, headers: { host: 'stream.test' }, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (text === 'first;') release();
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve(text);
        });
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(body, 'first;second');
  });

  test('pipelined requests come back in order; an HTTP/1.0 client gets a streamed body close-delimited', async () => {
    const app = await upstream(
      startUpstream((req, res) => {
        if (req.url === '/stream') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('one,');
          setTimeout(() => res.end('two'), 20);
          return;
        }
        // The first request is the slowest: its answer must still come first.
        const delay = req.url === '/1' ? 80 : req.url === '/2' ? 20 : 0;
        setTimeout(() => res.end(`answer ${req.url}`), delay);
      }),
    );
    await router.client.putRoutes(table(route('pipe.test', [['rep_pipe', app.url]])));

    const exchange = async (bytes: string, done: (text: string, closed: boolean) => boolean): Promise<string> => {
      const socket = net.connect({ host: '127.0.0.1', port: router.port });
      socket.setEncoding('latin1');
      let text = '';
      let closed = false;
      const finished = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no complete answer; got ${JSON.stringify(text)}`)), 5_000);
        const check = () => {
          if (!done(text, closed)) return;
          clearTimeout(timer);
          resolve();
        };
        socket.on('data', (d: string) => {
          text += d;
          check();
        });
        socket.on('close', () => {
          closed = true;
          check();
        });
        socket.on('error', reject);
      });
      socket.write(bytes);
      try {
        await finished;
      } finally {
        socket.destroy();
      }
      return text;
    };

    const head = (p: string) => `GET ${p} HTTP/1.1\r\nHost: pipe.test\r\n\r\n`;
    const pipelined = await exchange(head('/1') + head('/2') + head('/3'), (t) => t.includes('answer /3'));
    const order = [...pipelined.matchAll(/answer (\/\d)/g)].map((m) => m[1]);
    assert.deepEqual(order, ['/1', '/2', '/3']);

    const old = await exchange('GET /stream HTTP/1.0\r\nHost: pipe.test\r\n\r\n', (_t, closed) => closed);
    assert.match(old, /^HTTP\/1.1 200 OK\r\n/);
    assert.doesNotMatch(old, /transfer-encoding/i);
    assert.ok(old.endsWith('\r\n\r\none,two'), old);
  });

  test('streams a 5 MB request body to the app', async () => {
    let firstBytes!: () => void;
    const appGotBytes = new Promise<void>((r) => (firstBytes = r));
    const sink = await upstream(
      startUpstream((req, res) => {
        const hash = createHash('sha256');
        let size = 0;
        req.on('data', (chunk: Buffer) => {
          if (size === 0) firstBytes();
          size += chunk.length;
          hash.update(chunk);
        });
        req.on('end', () => res.end(JSON.stringify({ size, sha: hash.digest('hex') })));
      }),
    );
    await router.client.putRoutes(table(route('upload.test', [['rep_sink', sink.url]])));

    const payload = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    const expected = createHash('sha256').update(payload).digest('hex');

    const reply = new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: router.port, method: 'POST', headers: { host: 'upload.test', 'transfer-encoding': 'chunked' }, agent: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.write(payload.subarray(0, 1024 * 1024));
      // The rest is sent only after the app has received bytes: a buffering proxy would stall.
      const timer = setTimeout(() => reject(new Error('the app saw no bytes before the body ended')), 5_000);
      void appGotBytes.then(() => {
        clearTimeout(timer);
        req.end(payload.subarray(1024 * 1024));
      });
    });
    const result = JSON.parse(await reply) as { size: number; sha: string };
    assert.equal(result.size, payload.length);
    assert.equal(result.sha, expected);
  });

  test('WebSocket echo through the router, counted as upgraded while open', async () => {
    const app = await upstream(startUpstream((_req, res) => res.end('http')));
    const wss = new WebSocketServer({ server: app.server });
    const seenHosts: string[] = [];
    wss.on('connection', (socket, req) => {
      seenHosts.push(`${req.headers.host} ${req.headers['x-forwarded-for']}`);
      socket.on('message', (data) => socket.send(`echo:${data.toString()}`));
    });
    await router.client.putRoutes(table(route('ws.test', [['rep_ws', app.url]])));

    const ws = new WebSocket(`ws://127.0.0.1:${router.port}/socket`, { headers: { host: 'ws.test' } });
    await once(ws, 'open');
    ws.send('hello');
    const [message] = (await once(ws, 'message')) as [Buffer];
    assert.equal(message.toString(), 'echo:hello');
    assert.deepEqual(seenHosts, ['ws.test 127.0.0.1']);

    const open = await router.client.stats();
    assert.equal(open.targets.find((t) => t.id === 'rep_ws')?.upgraded, 1);

    ws.close();
    await once(ws, 'close');
    await waitFor('the upgraded count to drop', async () => {
      const s = await router.client.stats();
      return s.targets.find((t) => t.id === 'rep_ws')?.upgraded === 0;
    });
    wss.close();
  });

  test('atomic swap, then drain waits for the slow request on the old target', async () => {
    const slowBody = 'x'.repeat(100_000);
    const oldApp = await upstream(
      startUpstream((req, res) => {
        if (req.url === '/slow') setTimeout(() => res.end(slowBody), 2_000);
        else res.end('old');
      }),
    );
    const newApp = await upstream(namedUpstream('new'));
    await router.client.putRoutes(table(route('swap.test', [['rep_old', oldApp.url]])));

    let slowDoneAt = 0;
    const slow = get(router.port, 'swap.test', '/slow').then((r) => {
      slowDoneAt = Date.now();
      return r;
    });
    await waitFor('the slow request to be in flight', async () => {
      const s = await router.client.stats();
      return s.targets.find((t) => t.id === 'rep_old')?.inflight === 1;
    });

    await router.client.putRoutes(table(route('swap.test', [['rep_new', newApp.url]])));
    for (let i = 0; i < 3; i++) assert.equal((await get(router.port, 'swap.test')).body, 'new');

    const drain = await router.client.drain({ targets: ['rep_old'], timeoutMs: 10_000 });
    const drainedAt = Date.now();
    assert.equal(drain.drained, true);
    assert.equal(drain.remaining, 0);
    assert.ok(drain.waitedMs >= 1_500, `drain waited only ${drain.waitedMs} ms`);

    const done = await slow;
    assert.equal(done.status, 200);
    assert.equal(done.body, slowBody);
    assert.ok(slowDoneAt > 0 && slowDoneAt <= drainedAt + 50, 'drain answered after the slow request completed');
  });

  test('drain gives up at its timeout and reports what is left', async () => {
    const app = await upstream(startUpstream((_req, res) => setTimeout(() => res.end('late'), 1_500)));
    await router.client.putRoutes(table(route('drain-timeout.test', [['rep_busy', app.url]])));
    const slow = get(router.port, 'drain-timeout.test');
    await waitFor('the request to be in flight', async () => {
      const s = await router.client.stats();
      return s.targets.find((t) => t.id === 'rep_busy')?.inflight === 1;
    });
    const result = await router.client.drain({ targets: ['rep_busy'], timeoutMs: 200 });
    assert.equal(result.drained, false);
    assert.equal(result.remaining, 1);
    assert.ok(result.waitedMs >= 190 && result.waitedMs < 1_400, `waited ${result.waitedMs} ms`);
    assert.equal((await slow).body, 'late', 'drain does not cut the request');
  });

  test('a client that goes away aborts the upstream request and frees its count', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const app = await upstream(
      startUpstream((req, res) => {
        res.on('close', () => upstreamClosed());
        req.resume();
      }),
    );
    await router.client.putRoutes(table(route('abort.test', [['rep_abort', app.url]])));
    const req = http.request({ host: '127.0.0.1', port: router.port, headers: { host: 'abort.test' }, agent: false });
    req.on('error', () => undefined);
    req.end();
    await waitFor('the request to be in flight', async () => {
      const s = await router.client.stats();
      return s.targets.find((t) => t.id === 'rep_abort')?.inflight === 1;
    });
    req.destroy();
    await closed;
    await waitFor('the in-flight count to return to 0', async () => {
      const s = await router.client.stats();
      return s.targets.find((t) => t.id === 'rep_abort')?.inflight === 0;
    });
    const drained = await router.client.drain({ targets: ['rep_abort'], timeoutMs: 1_000 });
    assert.equal(drained.drained, true);
  });

  test('a table with a lower version is refused with 409; the same version is accepted', async () => {
    const current = await router.client.getRoutes();
    const stale = { ...current, version: current.version - 1 };
    const refused = await admin(router.paths.routerSocket, 'PUT', '/routes', JSON.stringify(stale));
    assert.equal(refused.status, 409);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'CONFLICT');
    assert.deepEqual(await router.client.getRoutes(), current);
    await assert.rejects(router.client.putRoutes(stale), { name: 'WharfError', code: 'RUNTIME_ERROR' });

    const again = await admin(router.paths.routerSocket, 'PUT', '/routes', JSON.stringify(current));
    assert.equal(again.status, 200);
  });

  test('an invalid body is refused with 400 and an error code', async () => {
    const bad = await admin(router.paths.routerSocket, 'PUT', '/routes', JSON.stringify({ version: -1, routes: 'no' }));
    assert.equal(bad.status, 400);
    const body = JSON.parse(bad.body) as { error: { code: string; message: string; hint: string } };
    assert.equal(body.error.code, 'BAD_REQUEST');
    assert.match(body.error.message, /version|routes/);
    assert.ok(body.error.hint);

    const notJson = await admin(router.paths.routerSocket, 'POST', '/drain', '{');
    assert.equal(notJson.status, 400);
    const unknown = await admin(router.paths.routerSocket, 'GET', '/nope');
    assert.equal(unknown.status, 404);
  });

  test('the admin socket is private (0600) and health names the pid', async () => {
    const info = await stat(router.paths.routerSocket);
    assert.ok(info.isSocket());
    assert.equal(info.mode & 0o777, 0o600);
    const health = await router.client.health();
    assert.equal(health?.ok, true);
    assert.equal(health?.pid, router.pid);
  });

  test('a restarted router serves the persisted table at once, and the access log was flushed', async () => {
    const app = await upstream(namedUpstream('persisted'));
    await router.client.putRoutes(table(route('persist.test', [['rep_persist', app.url]])));
    assert.equal((await get(router.port, 'persist.test', '/hello?token=secret')).body, 'persisted');

    // SIGTERM lets a request in flight finish before the process exits.
    const slowApp = await upstream(startUpstream((_req, res) => setTimeout(() => res.end('finished'), 800)));
    await router.client.putRoutes(table(route('persist.test', [['rep_persist', app.url]]), route('slow-stop.test', [['rep_slow', slowApp.url]])));
    const saved = await router.client.getRoutes();
    const inFlight = get(router.port, 'slow-stop.test');
    await waitFor('the slow request to be in flight', async () => {
      const s = await router.client.stats();
      return s.targets.find((t) => t.id === 'rep_slow')?.inflight === 1;
    });
    await router.stop();
    const finished = await inFlight;
    assert.equal(finished.status, 200);
    assert.equal(finished.body, 'finished');
    await assert.rejects(get(router.port, 'persist.test'), 'the old router no longer listens');
    const log = await readFile(router.paths.accessLog, 'utf8');
    const lines = log.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => l.host === 'persist.test');
    assert.ok(line, 'the access log has the request');
    assert.equal(line.path, '/hello');
    assert.equal(line.status, 200);
    assert.equal(line.target, 'rep_persist');
    assert.equal(typeof line.durationMs, 'number');

    router = await startRouter({ home: router.home, port: router.port });
    assert.deepEqual(await router.client.getRoutes(), saved);
    assert.equal((await get(router.port, 'persist.test')).body, 'persisted');
  });
});

describe('router upstream timeout', () => {
  let router: RouterUnderTest | undefined;
  let app: Upstream | undefined;
  after(async () => {
    await router?.stop();
    await app?.close();
    if (router) await removeHome(router.home);
  });

  test('an app that sends no headers in time gets a 504', async () => {
    router = await startRouter({ env: { WHARF_ROUTER_UPSTREAM_TIMEOUT_MS: '300' } });
    app = await startUpstream((_req, res) => setTimeout(() => res.end('too late'), 2_000));
    await router.client.putRoutes(table(route('timeout.test', [['rep_hang', app.url]])));
    const res = await get(router.port, 'timeout.test', '/', { accept: 'application/json' });
    assert.equal(res.status, 504);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'UPSTREAM_TIMEOUT');
  });
});

describe('router private listeners', () => {
  let router: RouterUnderTest;
  const upstreams: Upstream[] = [];
  const upstream = async (u: Promise<Upstream>) => {
    const started = await u;
    upstreams.push(started);
    return started;
  };
  const priv = (r: Route, privatePort: number): Route => ({ ...r, privatePort });
  const inflight = async (id: string) => (await router.client.stats()).targets.find((t) => t.id === id)?.inflight;

  before(async () => {
    router = await startRouter();
  });

  after(async () => {
    await router?.stop();
    await Promise.all(upstreams.map((u) => u.close()));
    if (router) await removeHome(router.home);
  });

  test('a private port serves its route whatever the Host header, round robin and X-Forwarded-* included', async () => {
    const echo = (name: string) =>
      startUpstream((req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ name, headers: req.headers }));
      });
    const a = await upstream(echo('a'));
    const b = await upstream(echo('b'));
    const port = await freePort();
    const put = await router.client.putRoutes(table(priv(route('api-production.localhost', [['rep_pa', a.url], ['rep_pb', b.url]]), port)));
    assert.deepEqual(put.privateErrors, []);

    const names: string[] = [];
    for (const host of ['api.production.internal', 'anything.at.all', `127.0.0.1:${port}`, 'x']) {
      const res = await get(port, host, '/hello?q=1');
      assert.equal(res.status, 200);
      const seen = JSON.parse(res.body) as { name: string; headers: Record<string, string> };
      names.push(seen.name);
      assert.equal(seen.headers.host, host, 'the Host header reaches the app as sent');
      assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(seen.headers['x-forwarded-proto'], 'http');
      assert.equal(seen.headers['x-forwarded-host'], host);
      assert.equal(seen.headers['x-forwarded-port'], String(port));
    }
    assert.deepEqual(names.sort(), ['a', 'a', 'b', 'b']);
    assert.equal((await get(router.port, 'api-production.localhost')).status, 200, 'the public side still routes by Host');
    assert.equal((await get(router.port, 'api.production.internal')).status, 404, 'the public side ignores private ports');

    const health = await router.client.health();
    assert.deepEqual(health?.privatePorts, [port]);
    assert.deepEqual(health?.privateErrors, []);

    const lines = await waitFor('the private requests in the access log', async () => {
      const text = await readFile(router.paths.accessLog, 'utf8').catch(() => '');
      const parsed = text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      const found = parsed.filter((l) => l.path === '/hello');
      return found.length === 4 ? { found, parsed } : undefined;
    });
    for (const line of lines.found) {
      assert.equal(line.private, true);
      assert.equal(line.host, 'api-production.localhost');
      assert.equal(line.status, 200);
    }
    const publicLine = lines.parsed.find((l) => l.host === 'api-production.localhost' && l.path === '/');
    assert.ok(publicLine && !('private' in publicLine), 'public lines are unchanged');
  });

  test('503 without targets, 502 when the target is dead, on the private port', async () => {
    const port = await freePort();
    const deadPort = await freePort();
    await router.client.putRoutes(table(priv(route('empty-priv.test', []), port)));
    const empty = await get(port, 'whatever', '/', { accept: 'application/json' });
    assert.equal(empty.status, 503);
    assert.equal((JSON.parse(empty.body) as { error: { code: string } }).error.code, 'NO_READY_REPLICA');
    assert.ok(empty.headers['retry-after']);

    // Same port, new targets: the listener stays and the next request sees them.
    await router.client.putRoutes(table(priv(route('empty-priv.test', [['rep_pdead', `http://127.0.0.1:${deadPort}`]]), port)));
    const dead = await get(port, 'whatever', '/', { accept: 'application/json' });
    assert.equal(dead.status, 502);
    assert.equal((JSON.parse(dead.body) as { error: { code: string } }).error.code, 'UPSTREAM_FAILED');
    assert.ok(!dead.body.includes(String(deadPort)));

    // Re-PUTs of the same ports (the control plane sends the table often) do not rebind.
    await router.client.putRoutes(table(priv(route('empty-priv.test', []), port)));
    const log = await readFile(routerLogFile(router.paths), 'utf8');
    const opened = log.split('\n').filter((l) => l.includes('"msg":"private listener opened"') && l.includes(`"port":${port},`));
    assert.equal(opened.length, 1);
  });

  test('a swap is seen on the private port, and drain waits for a request that came in on it', async () => {
    const slowBody = 'y'.repeat(50_000);
    const oldApp = await upstream(
      startUpstream((req, res) => {
        if (req.url === '/slow') setTimeout(() => res.end(slowBody), 2_000);
        else res.end('old');
      }),
    );
    const newApp = await upstream(namedUpstream('new'));
    const port = await freePort();
    await router.client.putRoutes(table(priv(route('pswap.test', [['rep_pold', oldApp.url]]), port)));
    assert.equal((await get(port, 'pswap.test')).body, 'old');

    let slowDoneAt = 0;
    const slow = get(port, 'any.host', '/slow').then((r) => {
      slowDoneAt = Date.now();
      return r;
    });
    await waitFor('the slow private request to be in flight', async () => (await inflight('rep_pold')) === 1);

    await router.client.putRoutes(table(priv(route('pswap.test', [['rep_pnew', newApp.url]]), port)));
    for (let i = 0; i < 3; i++) assert.equal((await get(port, 'any.host')).body, 'new');

    const drain = await router.client.drain({ targets: ['rep_pold'], timeoutMs: 10_000 });
    const drainedAt = Date.now();
    assert.equal(drain.drained, true);
    assert.ok(drain.waitedMs >= 1_500, `drain waited only ${drain.waitedMs} ms`);
    const done = await slow;
    assert.equal(done.status, 200);
    assert.equal(done.body, slowBody);
    assert.ok(slowDoneAt > 0 && slowDoneAt <= drainedAt + 50, 'drain answered after the slow request completed');
  });

  test('WebSocket upgrades work on the private port', async () => {
    const app = await upstream(startUpstream((_req, res) => res.end('http')));
    const wss = new WebSocketServer({ server: app.server });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo:${data.toString()}`)));
    const port = await freePort();
    await router.client.putRoutes(table(priv(route('pws.test', [['rep_pws', app.url]]), port)));

    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket`, { headers: { host: 'ws.internal' } });
    await once(ws, 'open');
    ws.send('hi');
    const [message] = (await once(ws, 'message')) as [Buffer];
    assert.equal(message.toString(), 'echo:hi');
    assert.equal((await router.client.stats()).targets.find((t) => t.id === 'rep_pws')?.upgraded, 1);
    ws.close();
    await once(ws, 'close');
    await waitFor('the upgraded count to drop', async () => (await router.client.stats()).targets.find((t) => t.id === 'rep_pws')?.upgraded === 0);
    wss.close();
  });

  test('removing the privatePort closes the listener: refused at once, the in-flight request finishes, then its connection closes', async () => {
    const app = await upstream(
      startUpstream((req, res) => {
        if (req.url === '/slow') setTimeout(() => res.end('slow done'), 1_000);
        else res.end('ok');
      }),
    );
    const port = await freePort();
    await router.client.putRoutes(table(priv(route('pclose.test', [['rep_pclose', app.url]]), port)));
    assert.equal((await get(port, 'x')).body, 'ok');

    const agent = new http.Agent({ keepAlive: true });
    let socketClosed = false;
    const slow = new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/slow', agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('socket', (socket) => socket.once('close', () => (socketClosed = true)));
      req.on('error', reject);
      req.end();
    });
    await waitFor('the slow private request to be in flight', async () => (await inflight('rep_pclose')) === 1);

    await router.client.putRoutes(table(route('pclose.test', [['rep_pclose', app.url]])));
    assert.equal(await connectError(port), 'ECONNREFUSED', 'no new connection once PUT has returned');
    assert.equal((await get(router.port, 'pclose.test')).body, 'ok', 'the route itself stays');
    assert.deepEqual((await router.client.health())?.privatePorts, []);

    assert.equal(await slow, 'slow done');
    await waitFor('the kept-alive connection to be closed by the router', () => socketClosed);
    agent.destroy();
    assert.equal((await router.client.drain({ targets: ['rep_pclose'], timeoutMs: 1_000 })).drained, true);
  });

  test('an unbindable private port is reported in /health while everything else keeps working', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const okPort = await freePort();
    const a = await upstream(namedUpstream('blocked-app'));
    const b = await upstream(namedUpstream('fine-app'));
    const routes = table(priv(route('blocked.test', [['rep_blocked', a.url]]), taken), priv(route('fine.test', [['rep_fine', b.url]]), okPort));
    try {
      const put = await router.client.putRoutes(routes);
      assert.equal(put.privateErrors?.length, 1);

      const health = await router.client.health();
      assert.equal(health?.privateErrors?.length, 1);
      const [error] = health!.privateErrors!;
      assert.equal(error!.host, 'blocked.test');
      assert.equal(error!.port, taken);
      assert.match(error!.error, /EADDRINUSE/);
      assert.deepEqual(health?.privatePorts, [okPort]);

      assert.equal((await get(okPort, 'y')).body, 'fine-app');
      assert.equal((await get(router.port, 'blocked.test')).body, 'blocked-app');
      assert.equal((await get(router.port, 'fine.test')).body, 'fine-app');
      const log = await readFile(routerLogFile(router.paths), 'utf8');
      assert.match(log, new RegExp(`"msg":"private listener failed".*"port":${taken}`));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }

    // The next PUT (the control plane re-sends the table often) binds the port once it is free.
    const again = await router.client.putRoutes(routes);
    assert.deepEqual(again.privateErrors, []);
    assert.equal((await get(taken, 'z')).body, 'blocked-app');
    assert.deepEqual((await router.client.health())?.privateErrors, []);
  });

  test('a table that lists a private port twice is refused with 400 and the live table stays', async () => {
    const before = await router.client.getRoutes();
    const port = await freePort();
    const bad = table(priv(route('dup1.test', []), port), priv(route('dup2.test', []), port));
    const res = await admin(router.paths.routerSocket, 'PUT', '/routes', JSON.stringify(bad));
    assert.equal(res.status, 400);
    assert.match((JSON.parse(res.body) as { error: { message: string } }).error.message, new RegExp(`${port}.*dup1\\.test, dup2\\.test`));
    assert.deepEqual(await router.client.getRoutes(), before);
    assert.equal(await connectError(port), 'ECONNREFUSED');
  });

  test('a restarted router reopens the private listeners of the persisted table', async () => {
    const app = await upstream(namedUpstream('persisted-private'));
    const port = await freePort();
    await router.client.putRoutes(table(priv(route('ppersist.test', [['rep_ppersist', app.url]]), port)));
    assert.equal((await get(port, 'q')).body, 'persisted-private');

    await router.stop();
    assert.equal(await connectError(port), 'ECONNREFUSED', 'the stopped router released the port');

    router = await startRouter({ home: router.home, port: router.port });
    // ensureRouter returns once /health answers; private ports are bound before that.
    assert.equal((await get(port, 'q')).body, 'persisted-private');
    assert.deepEqual((await router.client.health())?.privatePorts, [port]);
  });
});
