import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { removeHome, route, startRouter, startUpstream, table } from '../fixtures/router-harness.js';
import { waitFor } from '../helpers/wait.js';

// A request body that stops parsing while the router is still connecting to the app (found by
// test/fuzz/router-requests.test.ts). Before: the body's abort happened before the upstream
// pump listened for it, the app waited for a body that never came, and the client got nothing
// until the upstream timeout (60 s), or until it hung up itself.

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('a chunked body that does not parse gets an answer and a close at once, with nothing left in flight', async () => {
  let appSaw = 0;
  const app = await startUpstream((req, res) => {
    appSaw++;
    req.on('error', () => undefined);
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  const router = await startRouter();
  cleanups.push(() => app.close(), () => removeHome(router.home), () => router.stop());
  await router.client.putRoutes(table(route('app.test', [['rep_app', app.url]])));

  // The first request to the app: no pooled upstream socket, so the body fails during connect.
  const socket = net.connect({ host: '127.0.0.1', port: router.port });
  let received = '';
  let closed = false;
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (received += d));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  socket.write('POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\nnot-a-chunk-size\r\n\r\n');

  await waitFor('the router to answer and close', () => closed || undefined, 10_000);
  assert.match(received, /^HTTP\/1\.1 (400|502) /);
  const stats = await router.client.stats();
  assert.equal(stats.targets.find((t) => t.id === 'rep_app')?.inflight ?? 0, 0);
  assert.ok(appSaw <= 1);
});
