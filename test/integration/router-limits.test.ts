import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { WharfError } from '../../src/core/errors.js';
import { ensureRouter, routerLogFile } from '../../src/router/launch.js';
import { IdleClients } from '../fixtures/idle-clients.js';
import { get, namedUpstream, removeHome, route, startRouter, table, type RouterUnderTest, type Upstream } from '../fixtures/router-harness.js';
import { waitFor } from '../helpers/wait.js';

// The router under idle-connection floods (issue 12, part 3): a client holding connections
// cannot starve the others, and the control plane never starts a second router over a busy one.
// Every router here runs with a small descriptor limit (WHARF_ROUTER_NOFILE), so a flood of a
// few thousand loopback connections is enough to exhaust one that had no limits.

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function routerWith(env: Record<string, string>): Promise<{ router: RouterUnderTest; app: Upstream }> {
  const router = await startRouter({ env });
  cleanups.push(() => removeHome(router.home), () => router.stop());
  const app = await namedUpstream('ok');
  cleanups.push(() => app.close());
  await router.client.putRoutes(table(route('app.test', [['rep_ok', app.url]])));
  return { router, app };
}

/** Requests on fresh connections from 127.0.0.1 (the flood comes from 127.0.1.x); every failure is kept. */
async function normalClient(port: number, requests: number): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < requests; i++) {
    try {
      const res = await get(port, 'app.test');
      if (res.status !== 200 || res.body !== 'ok') failures.push(`HTTP ${res.status} ${res.body.slice(0, 80)}`);
    } catch (err) {
      failures.push((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
  }
  return failures;
}

describe('router connection limits', () => {
  test('one address holding idle connections gets its share; the excess is refused with a 429, and a normal client sees no error', async () => {
    const { router } = await routerWith({ WHARF_ROUTER_NOFILE: '4096', WHARF_ROUTER_MAX_CONNECTIONS_PER_ADDRESS: '300' });
    const flood = new IdleClients();
    cleanups.push(() => flood.destroyAll());

    const during = normalClient(router.port, 20);
    await flood.open(router.port, '127.0.1.1', 1_500);
    const failures = [...(await during), ...(await normalClient(router.port, 20))];
    assert.deepEqual(failures, [], 'the normal client saw no error');

    // The excess is answered, not reset: each refused connection read a 429 and was closed.
    await waitFor('the refused connections to close', () => flood.count((s) => s.closed) === 1_200 || undefined, 10_000);
    assert.equal(flood.count((s) => s.received.startsWith('HTTP/1.1 429 Too Many Requests\r\n')), 1_200);
    assert.equal(flood.count((s) => s.error !== null), 0, 'no connection was reset');
    assert.equal(flood.openCount, 300);

    const stats = await router.client.stats();
    assert.equal(stats.connections?.refusedAddress, 1_200);
    assert.deepEqual(stats.connections?.top[0], { address: '127.0.1.1', open: 300 });
  });

  test('a flood from many addresses beyond the descriptors: the idlest connections are shed and a normal client sees no error', async () => {
    // 1,024 descriptors: 384 client connections, 48 per address. 40 addresses × 48 = 1,920
    // connections, far beyond what the descriptors hold.
    const { router } = await routerWith({ WHARF_ROUTER_NOFILE: '1024' });
    const first = await router.client.stats();
    assert.equal(first.connections?.maxConnections, 384);
    assert.equal(first.connections?.maxPerAddress, 48);

    const flood = new IdleClients();
    cleanups.push(() => flood.destroyAll());
    const during = normalClient(router.port, 30);
    for (let a = 1; a <= 40; a++) await flood.open(router.port, `127.0.1.${a}`, 48, 48);
    const failures = [...(await during), ...(await normalClient(router.port, 30))];
    assert.deepEqual(failures, [], 'the normal client saw no error');

    const stats = await router.client.stats();
    assert.ok(stats.connections!.open <= 384, `open ${stats.connections!.open} within the cap`);
    assert.ok(stats.connections!.shed > 0, 'idle connections were shed');
    // The router held a full house of idle connections, not a handful.
    assert.ok(stats.connections!.open >= 300, `open ${stats.connections!.open}`);
    assert.equal(flood.count((s) => s.error !== null && s.error !== 'ECONNRESET'), 0);
  });
});

describe('router launcher', () => {
  test('a router that does not answer its admin socket (stopped) is waited for, not replaced', async () => {
    const { router } = await routerWith({});
    process.kill(router.pid, 'SIGSTOP');
    let continued = false;
    cleanups.push(() => {
      if (!continued) process.kill(router.pid, 'SIGCONT');
    });

    await assert.rejects(ensureRouter(router.paths, { port: router.port, host: '127.0.0.1', busyWaitMs: 1_000 }), (err: unknown) => {
      assert.ok(err instanceof WharfError);
      assert.match(err.message, /not answering .*not starting a second one/);
      return true;
    });
    // Woken while the launcher waits: it reports the same router, started by nobody.
    const again = ensureRouter(router.paths, { port: router.port, host: '127.0.0.1', busyWaitMs: 20_000 });
    process.kill(router.pid, 'SIGCONT');
    continued = true;
    assert.deepEqual(await again, { pid: router.pid, started: false });

    const log = await readFile(routerLogFile(router.paths), 'utf8');
    assert.equal(log.match(/"router started"/g)?.length, 1);
    assert.doesNotMatch(log, /router failed to start/);
    assert.equal((await get(router.port, 'app.test')).body, 'ok');
  });

  test('a router whose admin socket is gone but which holds the port is not replaced', async () => {
    const { router } = await routerWith({});
    const { rm } = await import('node:fs/promises');
    await rm(router.paths.routerSocket);

    await assert.rejects(ensureRouter(router.paths, { port: router.port, host: '127.0.0.1', busyWaitMs: 1_000 }), (err: unknown) => {
      assert.ok(err instanceof WharfError);
      assert.match(err.message, new RegExp(`router pid ${router.pid} holds port ${router.port}.*not starting a second one`));
      return true;
    });
    const log = await readFile(routerLogFile(router.paths), 'utf8');
    assert.equal(log.match(/"router started"/g)?.length, 1);
    assert.doesNotMatch(log, /router failed to start/);
    assert.equal((await get(router.port, 'app.test')).body, 'ok');
  });
});
