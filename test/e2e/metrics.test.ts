import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyExample, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// Real Wharf with a 1 s metrics tick: requests through the router show up in `wharf metrics`
// (the router counts them per 10 s bucket in traffic.log, the collector reads that), exactly,
// with the 404s as status_4xx and the 503s as status_5xx, next to the replica's CPU and memory.

const HOST = 'web-production-metered.localhost';
let wharf: Wharf;
let dir: string;

interface MetricsJson {
  since: number;
  until: number;
  services: Array<{ service: string; instanceId: string; series: Array<{ name: string; points: Array<{ t: number; value: number }> }> }>;
}

before(async () => {
  wharf = await startWharf({ WHARF_METRICS_INTERVAL_MS: '1000' });
  dir = await copyExample('node-web', wharf.home);
  assert.equal((await wharf.cli(['init', '--name', 'metered'], { cwd: dir })).code, 0);
  const up = await wharf.cli(['up'], { cwd: dir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
});
after(async () => {
  await wharf.cleanup();
});

async function metrics(args: string[] = []): Promise<MetricsJson> {
  const res = await wharf.cli(['metrics', '--json', '--since', '10m', ...args], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout) as MetricsJson;
}

const total = (m: MetricsJson, name: string) =>
  m.services.find((s) => s.service === 'web')!.series.find((s) => s.name === name)!.points.reduce((sum, p) => sum + p.value * 10, 0);

const series = (m: MetricsJson, name: string) => m.services.find((s) => s.service === 'web')!.series.find((s) => s.name === name)!.points;

test('requests through the router appear as requests/s and status classes; CPU and memory of the replica', async () => {
  for (let i = 0; i < 20; i++) assert.equal((await wharf.get(HOST, '/')).status, 200);
  for (let i = 0; i < 5; i++) assert.equal((await wharf.get(HOST, '/no-such-page')).status, 404);
  // Two slow ones: the latency percentiles must see them.
  for (let i = 0; i < 2; i++) assert.equal((await wharf.get(HOST, '/slow?ms=300')).status, 200);
  // The example answers 503 on /api/health while a file `unhealthy` is in its folder: three 5xx
  // through the router (the liveness probe goes to the replica directly, and the flag is gone at once).
  const [replica] = readdirSync(path.join(wharf.home, 'run', 'replicas'));
  const workDir = (JSON.parse(readFileSync(path.join(wharf.home, 'run', 'replicas', replica!, 'spec.json'), 'utf8')) as { cwd: string }).cwd;
  const flag = path.join(workDir, 'unhealthy');
  writeFileSync(flag, '');
  try {
    for (let i = 0; i < 3; i++) assert.equal((await wharf.get(HOST, '/api/health')).status, 503);
  } finally {
    rmSync(flag, { force: true });
  }

  let last: MetricsJson | null = null;
  await waitFor(
    async () => {
      last = await metrics();
      return total(last, 'requests_per_second') >= 30 && total(last, 'memory_bytes') > 0 && last.services[0]!.series.some((x) => x.name === 'cpu_percent' && x.points.length > 0);
    },
    { timeoutMs: 30_000, intervalMs: 500, what: () => `metrics with the requests: ${JSON.stringify(last)?.slice(0, 2000)}` },
  );
  const m = last!;
  // Exact: counted by the router, not sampled (health checks go to the replica directly).
  assert.equal(Math.round(total(m, 'requests_per_second')), 30);
  assert.equal(Math.round(total(m, 'status_2xx')), 22);
  assert.equal(Math.round(total(m, 'status_4xx')), 5);
  assert.equal(Math.round(total(m, 'status_5xx')), 3);
  assert.ok(series(m, 'error_rate').some((p) => p.value > 0));
  // The slow requests slept 300 ms: the p99 of their bucket is there (bins are ~2 % wide), and
  // no percentile is negative or absurd.
  const p99 = series(m, 'latency_p99_ms');
  assert.ok(p99.some((p) => p.value >= 290 && p.value < 5_000), `p99: ${JSON.stringify(p99)}`);
  for (const name of ['latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms']) {
    assert.ok(series(m, name).every((p) => p.value > 0 && p.value < 5_000), `${name}: ${JSON.stringify(series(m, name))}`);
  }
  const memory = m.services[0]!.series.find((s) => s.name === 'memory_bytes')!.points;
  assert.ok(memory.at(-1)!.value > 10 * 1024 * 1024, `a node app's memory: ${memory.at(-1)!.value}`);

  // The table: one block per service, memory in MiB, CPU in %, a sparkline.
  const table = await wharf.cli(['metrics', '--since', '10m'], { cwd: dir });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^web \(web\)$/m);
  assert.match(table.stdout, /memory_bytes\s+[\d.]+ MiB/);
  assert.match(table.stdout, /cpu_percent\s+[\d.]+%/);
  assert.match(table.stdout, /status_4xx .*[▁▂▃▄▅▆▇█]/);

  // --service and --metrics narrow it; an unknown metric is a 400 with the list.
  const narrow = await metrics(['--service', 'web', '--metrics', 'cpu_percent,status_4xx']);
  assert.deepEqual(narrow.services[0]!.series.map((s) => s.name), ['cpu_percent', 'status_4xx']);
  const bad = await wharf.cli(['metrics', '--metrics', 'cpu'], { cwd: dir });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cpu_percent/);
});
