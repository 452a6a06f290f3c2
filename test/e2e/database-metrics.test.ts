import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseJson, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// A database's connections and size in `wharf metrics`: real Wharf with a 500 ms metrics tick
// and a real Redis added with `wharf add redis`.

interface MetricsJson {
  services: Array<{ service: string; kind: string; series: Array<{ name: string; points: Array<{ t: number; value: number }> }> }>;
}

let wharf: Wharf;
let dir: string;

before(async () => {
  wharf = await startWharf({ WHARF_METRICS_INTERVAL_MS: '500' });
  dir = path.join(wharf.home, 'app');
  await mkdir(dir);
  const init = await wharf.cli(['init', '--name', 'dbmetrics'], { cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  const add = await wharf.cli(['add', 'redis', '--name', 'db'], { cwd: dir });
  assert.equal(add.code, 0, add.stdout + add.stderr);
});
after(async () => {
  await wharf?.cleanup();
});

test('wharf metrics --service db shows the database series (connections, size) next to its process', async () => {
  let last: MetricsJson | null = null;
  const series = (m: MetricsJson, name: string) => m.services.find((s) => s.service === 'db')?.series.find((s) => s.name === name)?.points ?? [];
  await waitFor(
    async () => {
      const res = await wharf.cli(['metrics', '--service', 'db', '--json', '--since', '10m'], { cwd: dir });
      assert.equal(res.code, 0, res.stderr);
      last = parseJson<MetricsJson>(res);
      return series(last, 'db_size_bytes').length > 0 && series(last, 'db_connections').length > 0 && series(last, 'memory_bytes').length > 0;
    },
    { timeoutMs: 30_000, intervalMs: 300, what: () => `db series (last ${JSON.stringify(last)?.slice(0, 1500)}; server log ${wharf.serverLog.join('').slice(-1500)})` },
  );
  const m = last!;
  assert.deepEqual(m.services.map((s) => [s.service, s.kind]), [['db', 'database']]);
  assert.deepEqual(m.services[0]!.series.map((s) => s.name), ['cpu_percent', 'memory_bytes', 'restarts', 'db_connections', 'db_size_bytes']);
  assert.ok(series(m, 'db_size_bytes').at(-1)!.value > 100_000, `Redis uses some memory: ${JSON.stringify(series(m, 'db_size_bytes'))}`);
  assert.ok(series(m, 'db_connections').every((p) => p.value >= 0 && p.value < 5), JSON.stringify(series(m, 'db_connections')));

  // Asked by name; and the table shows them in their units.
  const named = parseJson<MetricsJson>(await wharf.cli(['metrics', '--service', 'db', '--json', '--metrics', 'db_connections'], { cwd: dir }));
  assert.deepEqual(named.services[0]!.series.map((s) => s.name), ['db_connections']);
  const table = await wharf.cli(['metrics', '--service', 'db'], { cwd: dir });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^db \(database\)$/m);
  assert.match(table.stdout, /db_size_bytes\s+[\d.]+ MiB/);
  assert.match(table.stdout, /db_connections\s+\d/);
});
