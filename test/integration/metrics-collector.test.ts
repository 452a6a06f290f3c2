import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReplicaStatus } from '../../src/core/runtime.js';
import { ReplicaStatsReader } from '../../src/server/runtimes/process/replica-stats.js';
import { LATENCY_GROWTH, LATENCY_MIN_MS, latencyBin } from '../../src/core/latency-histogram.js';
import { MetricsCollector } from '../../src/server/metrics/collector.js';
import { MetricsStore } from '../../src/server/metrics/metrics-store.js';
import { waitFor } from '../helpers/wharf.js';

// The collector against a real process group: a parent that holds ~50 MB and a child (same
// group) that burns ~60 % of a core. CPU and memory must be summed over the whole group.

const PARENT = `
const { spawn } = require('node:child_process');
const held = Buffer.alloc(50 * 1024 * 1024, 1);
const burn = "const end = () => { const t = Date.now(); while (Date.now() - t < 60) {} setTimeout(end, 40); }; end();";
const child = spawn(process.execPath, ['-e', burn], { stdio: 'ignore' });
process.on('SIGTERM', () => { child.kill('SIGKILL'); process.exit(0); });
setInterval(() => held[0]++, 1000);
console.log('ready ' + child.pid);
`;

let dir: string;
let app: ChildProcess;
let store: MetricsStore;
let collector: MetricsCollector;
const reader = new ReplicaStatsReader();
const trafficLog = () => path.join(dir, 'traffic.log');

function status(_pid: number): ReplicaStatus {
  const now = new Date().toISOString();
  return {
    replicaId: 'rep-1', role: 'app', deploymentId: 'dep-1', serviceInstanceId: 'inst-1', runtime: 'process', port: null, endpoint: null, state: 'running', restarts: 2,
    exitCode: null, exitSignal: null, startedAt: now, updatedAt: now, lastReason: null,
  };
}

const rows = (name: string, replicaId = '') =>
  store.db.prepare("SELECT t, value, samples FROM points WHERE instance_id = 'inst-1' AND replica_id = ? AND name = ? AND resolution = 10 ORDER BY t").all(replicaId, name) as Array<{ t: number; value: number; samples: number }>;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-metrics-'));
  app = spawn(process.execPath, ['-e', PARENT], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    app.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    app.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
  });
  store = new MetricsStore(path.join(dir, 'metrics.db'));
  collector = new MetricsCollector({
    store,
    // The process driver's own measurement (replica-stats.ts) of the fixture's group.
    runtime: { list: async () => [status(app.pid!)], stats: () => reader.read([{ ...status(app.pid!), appPid: app.pid!, supervisorPid: null }]) },
    replicas: () => [{ id: 'rep-1', instanceId: 'inst-1', routed: true }, { id: 'rep-2', instanceId: 'inst-1', routed: true }],
    trafficLog: trafficLog(),
    intervalMs: 500,
  });
});

after(async () => {
  await collector?.stop();
  store?.close();
  if (app?.pid) {
    try {
      process.kill(-app.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

test('CPU % and memory of a whole process group, per replica and for the service, over two ticks', async () => {
  // Ticks every 500 ms: the first is CPU's baseline, the second measures over the interval.
  collector.start();
  await waitFor(() => rows('cpu_percent', 'rep-1').length > 0, { timeoutMs: 10_000, what: 'a CPU point after the second tick' });
  const cpu = rows('cpu_percent', 'rep-1');
  const memory = rows('memory_bytes', 'rep-1');
  console.log(`# measured: CPU ${cpu.at(-1)!.value.toFixed(1)} %, memory ${(memory.at(-1)!.value / 1048576).toFixed(1)} MiB`);
  const percent = cpu.at(-1)!.value;
  assert.ok(percent > 20 && percent < 150, `CPU ${percent}% (the child burns ~60 % of a core)`);
  const bytes = memory.at(-1)!.value;
  assert.ok(bytes > 40 * 1024 * 1024 && bytes < 1024 * 1024 * 1024, `memory ${bytes} bytes (the parent holds 50 MB, plus two node runtimes)`);
  assert.equal(rows('restarts', 'rep-1').at(-1)!.value, 2);
  // The service's aggregate is the sum over its replicas (one here).
  assert.ok(Math.abs(rows('cpu_percent').at(-1)!.value - percent) < 1e-9);
  assert.ok(rows('memory_bytes').at(-1)!.value > 40 * 1024 * 1024);
  assert.ok(store.average('inst-1', 'memory_bytes', 60_000)! > 40 * 1024 * 1024);
});

test('requests from the traffic log: per service, rates per status class, percentiles; replicas merged', async () => {
  // Lines as the router writes them: one per replica and 10 s bucket, the bucket that just ended.
  const time = new Date(Math.floor(Date.now() / 10_000) * 10_000 - 10_000).toISOString();
  const bins = (...ms: number[]) => ms.map((d) => [latencyBin(d), 1]);
  const line = (target: string, status: Record<string, number>, durations: number[]) =>
    JSON.stringify({
      time, seconds: 10, target, requests: durations.length, status: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, ...status },
      bytesOut: 100 * durations.length, latency: { minMs: LATENCY_MIN_MS, growth: LATENCY_GROWTH, bins: bins(...durations) },
    }) + '\n';
  appendFileSync(trafficLog(), [line('rep-1', { '2xx': 2, '4xx': 1 }, [5, 7, 1]), line('rep-2', { '5xx': 1 }, [50]), line('unknown', { '2xx': 1 }, [1])].join(''));
  await waitFor(() => rows('requests_per_second').reduce((s, r) => s + r.value * 10, 0) >= 4, { timeoutMs: 10_000, what: 'request points' });
  const sum = (name: string) => Math.round(rows(name).reduce((s, r) => s + r.value * 10, 0));
  assert.equal(sum('requests_per_second'), 4, 'the line of an unknown replica is not counted');
  assert.equal(sum('status_2xx'), 2);
  assert.equal(sum('status_4xx'), 1);
  assert.equal(sum('status_5xx'), 1);
  assert.equal(sum('bytes_out_per_second'), 400);
  const p99 = rows('latency_p99_ms').find((r) => r.value > 0)!;
  assert.ok(Math.abs(p99.value - 50) / 50 < 0.011, `p99 ${p99.value} from both replicas' histograms (exact: 50)`);
  assert.equal(p99.samples, 4);
  assert.ok(rows('error_rate').some((r) => Math.abs(r.value - 0.25) < 1e-9));
  // More lines later are read from the saved offset, not counted twice.
  appendFileSync(trafficLog(), line('rep-1', { '3xx': 1 }, [3]));
  await waitFor(() => sum('status_3xx') === 1, { timeoutMs: 10_000, what: 'the appended line' });
  assert.equal(sum('requests_per_second'), 5);
  assert.equal(JSON.parse(store.getState('traffic-log:position')!).offset > 0, true);
});
