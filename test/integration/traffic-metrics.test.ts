import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseTrafficLine, type TrafficLine } from '../../src/core/traffic.js';
import { MetricsCollector } from '../../src/server/metrics/collector.js';
import { MetricsStore } from '../../src/server/metrics/metrics-store.js';
import { get, removeHome, route, startRouter, startUpstream, table, type RouterUnderTest, type Upstream } from '../fixtures/router-harness.js';
import { waitFor } from '../helpers/wait.js';

// A real router under load, read by the real collector: the router counts every request in its
// 10 s buckets, so the collector's request counts are exact however busy a service is. The old
// collector parsed the access log, at most 8 MiB (~60k requests) per tick: these requests' access
// log alone is bigger, and a busier service fell further behind. Here one tick takes them all.

const REQUESTS = 100_000;
const FAIL_EVERY = 20;
const HOST = 'load.test';
const INSTANCE = 'si-load';

let router: RouterUnderTest | undefined;
let home: string | undefined;
let app: Upstream | undefined;
let dir: string;
let store: MetricsStore | undefined;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-traffic-metrics-'));
  router = await startRouter();
  home = router.home;
  app = await startUpstream((req, res) => {
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end('ok');
  });
  // Two replicas of one service: their lines add up in the service's buckets.
  await router.client.putRoutes(table(route(HOST, [['rep_l1', app.url], ['rep_l2', app.url]])));
  store = new MetricsStore(path.join(dir, 'metrics.db'));
});

after(async () => {
  await router?.stop();
  await app?.close();
  store?.close();
  if (home) await removeHome(home);
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Sends `total` GETs over `connections` keep-alive sockets, `window` pipelined on each, and counts
 * the responses by status from their status lines (the bodies are "ok").
 */
async function load(port: number, total: number, connections = 16, window = 8): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let sent = 0;
  let received = 0;
  const request = () => `GET ${sent++ % FAIL_EVERY === 0 ? '/fail' : '/ok'} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
  await Promise.all(
    Array.from({ length: connections }, () => new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let tail = '';
      let mine = 0;
      const sendOne = () => {
        if (sent >= total) return false;
        mine++;
        socket.write(request());
        return true;
      };
      socket.on('connect', () => {
        for (let i = 0; i < window; i++) if (!sendOne()) break;
        if (mine === 0) socket.end();
      });
      socket.on('data', (chunk: Buffer) => {
        // A status line may be cut between chunks: the last 11 characters are kept for the next.
        const text = tail + chunk.toString('latin1');
        let at = text.indexOf('HTTP/1.1 ');
        while (at !== -1 && at + 12 <= text.length) {
          const status = Number(text.slice(at + 9, at + 12));
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          received++;
          mine--;
          sendOne();
          at = text.indexOf('HTTP/1.1 ', at + 12);
        }
        tail = text.slice(Math.max(at === -1 ? text.length - 11 : at, 0));
        if (mine === 0) socket.end();
      });
      socket.on('error', reject);
      socket.on('close', () => (mine === 0 ? resolve() : reject(new Error(`a connection closed with ${mine} requests unanswered`))));
    })),
  );
  assert.equal(received, total);
  return statuses;
}

const trafficLines = (file: string): TrafficLine[] => {
  let text = '';
  for (const f of [`${file}.1`, file]) {
    try {
      text += readFileSync(f, 'utf8');
    } catch {
      /* not there (yet) */
    }
  }
  return text.split('\n').filter(Boolean).map((l) => parseTrafficLine(l)!);
};

test(`${REQUESTS} requests through a real router: the collector counts every one, 5xx included, in one tick`, async () => {
  const r = router!;
  const started = Date.now();
  const statuses = await load(r.port, REQUESTS);
  console.log(`# ${REQUESTS} requests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.deepEqual([...statuses].sort(), [[200, REQUESTS - REQUESTS / FAIL_EVERY], [500, REQUESTS / FAIL_EVERY]]);
  // Requests without a target (no route) belong to no service: not counted.
  for (let i = 0; i < 5; i++) assert.equal((await get(r.port, 'nowhere.test')).status, 404);

  // SIGTERM: the router writes its open bucket before it exits.
  await r.stop();
  router = undefined;
  const accessLogBytes = statSync(r.paths.accessLog).size;
  assert.ok(accessLogBytes > 8 * 1024 * 1024, `the access log (${accessLogBytes} bytes) is more than the old collector read in a tick`);
  const file = r.paths.trafficLog;
  const lines = trafficLines(file);
  assert.deepEqual([...new Set(lines.map((l) => l.target))].sort(), ['rep_l1', 'rep_l2']);
  assert.equal(lines.reduce((n, l) => n + l.requests, 0), REQUESTS);

  const collector = new MetricsCollector({
    store: store!,
    runtime: { list: async () => [], stats: async () => [] },
    replicas: () => [{ id: 'rep_l1', instanceId: INSTANCE, routed: true }, { id: 'rep_l2', instanceId: INSTANCE, routed: true }],
    trafficLog: file,
  });
  await collector.tick();
  const rows = (name: string) =>
    store!.db.prepare("SELECT t, value, samples FROM points WHERE instance_id = ? AND replica_id = '' AND name = ? AND resolution = 10 ORDER BY t").all(INSTANCE, name) as Array<{
      t: number;
      value: number;
      samples: number;
    }>;
  const total = (name: string) => Math.round(rows(name).reduce((n, p) => n + p.value * 10, 0));
  assert.equal(total('requests_per_second'), REQUESTS, 'every request, after one tick');
  assert.equal(total('status_2xx'), REQUESTS - REQUESTS / FAIL_EVERY);
  assert.equal(total('status_5xx'), REQUESTS / FAIL_EVERY);
  const errors = rows('error_rate');
  const weighted = errors.reduce((n, p) => n + p.value * p.samples, 0) / errors.reduce((n, p) => n + p.samples, 0);
  assert.ok(Math.abs(weighted - 1 / FAIL_EVERY) < 1e-9, `error rate ${weighted}`);
  const p50 = rows('latency_p50_ms');
  const p99 = rows('latency_p99_ms');
  assert.ok(p50.length > 0 && p50.every((p) => p.value > 0 && p.value < 5_000), `p50 ${JSON.stringify(p50)}`);
  assert.ok(p99.every((p, i) => p.value >= p50[i]!.value), 'p99 ≥ p50');
  assert.equal(p99.reduce((n, p) => n + p.samples, 0), REQUESTS, 'percentiles weighted by their requests');
  await collector.stop();
});
