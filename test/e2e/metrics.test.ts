import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyExample, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// Real Wharf with a 1 s metrics tick: requests through the router show up in `wharf metrics`,
// with the 404s as status_4xx, next to the replica's CPU and memory.

const HOST = 'web-production.localhost';
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

test('requests through the router appear as requests/s and status classes; CPU and memory of the replica', async () => {
  for (let i = 0; i < 20; i++) assert.equal((await wharf.get(HOST, '/')).status, 200);
  for (let i = 0; i < 5; i++) assert.equal((await wharf.get(HOST, '/no-such-page')).status, 404);

  let last: MetricsJson | null = null;
  await waitFor(
    async () => {
      last = await metrics();
      return total(last, 'status_4xx') >= 5 && total(last, 'requests_per_second') >= 25 && total(last, 'memory_bytes') > 0 && last.services[0]!.series.some((x) => x.name === 'cpu_percent' && x.points.length > 0);
    },
    { timeoutMs: 30_000, intervalMs: 500, what: () => `metrics with the requests: ${JSON.stringify(last)?.slice(0, 2000)}` },
  );
  const m = last!;
  assert.equal(Math.round(total(m, 'status_4xx')), 5);
  assert.ok(Math.round(total(m, 'status_2xx')) >= 20, 'the 200s (health checks go to the replica directly, not through the router)');
  const latency = m.services[0]!.series.find((s) => s.name === 'latency_p99_ms')!.points;
  assert.ok(latency.length > 0 && latency.every((p) => p.value >= 0));
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
