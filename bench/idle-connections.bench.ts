import { performance } from 'node:perf_hooks';
import { IdleClients } from '../test/fixtures/idle-clients.js';
import { get, namedUpstream, removeHome, route, startRouter, table } from '../test/fixtures/router-harness.js';

// How many idle connections the router holds while a normal client sees no error (issue 12,
// part 3).
//
//   node --import tsx bench/idle-connections.bench.ts
//
// A real router process (default limits, sized from the descriptor limit it inherits, or from
// BENCH_NOFILE through WHARF_ROUTER_NOFILE) and a real app. Idle connections (connect, send
// nothing) are opened in steps of BENCH_IDLE_STEP from loopback addresses 127.0.2.1, 127.0.2.2 …
// (BENCH_IDLE_PER_ADDRESS each, below the per-address cap, so it is the total cap and shedding
// that are measured), up to BENCH_IDLE_CONNECTIONS in all. During and after each step a normal
// client (127.0.0.1, a fresh connection per request) makes requests; every error or non-200
// counts. Printed per step: connections the router holds (its /stats), still open as the flood
// clients see it, shed so far, the normal client's requests, errors and p50/p99.

const TOTAL = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 12_000);
const STEP = Number(process.env.BENCH_IDLE_STEP ?? 1_000);
const PER_ADDRESS = Number(process.env.BENCH_IDLE_PER_ADDRESS ?? 500);
const NORMAL_PER_STEP = 50;
const progress = (m: string) => process.stderr.write(`[bench] ${m}\n`);

async function main(): Promise<void> {
  const env: Record<string, string> = {};
  if (process.env.BENCH_NOFILE) env.WHARF_ROUTER_NOFILE = process.env.BENCH_NOFILE;
  const router = await startRouter({ env });
  const app = await namedUpstream('ok');
  const flood = new IdleClients();
  try {
    await router.client.putRoutes(table(route('app.test', [['rep_ok', app.url]])));
    const limits = (await router.client.stats()).connections!;
    console.log(`router: descriptor limit ${limits.descriptorLimit}, max connections ${limits.maxConnections}, per address ${limits.maxPerAddress}`);
    console.log('| idle opened | router holds | open (client view) | shed | normal requests | errors | p50 ms | p99 ms |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');

    let opened = 0;
    let address = 0;
    let bestClean = 0;
    let totalErrors = 0;
    while (opened < TOTAL) {
      const step = Math.min(STEP, TOTAL - opened);
      const latencies: number[] = [];
      const errors: string[] = [];
      let stop = false;
      const normal = (async () => {
        // At least NORMAL_PER_STEP requests, and on until the step's connections are open.
        for (let i = 0; i < NORMAL_PER_STEP || !stop; i++) {
          const started = performance.now();
          try {
            const res = await get(router.port, 'app.test');
            if (res.status !== 200) errors.push(`HTTP ${res.status}`);
          } catch (err) {
            errors.push((err as NodeJS.ErrnoException).code ?? (err as Error).message);
          }
          latencies.push(performance.now() - started);
        }
      })();
      for (let left = step; left > 0; ) {
        const n = Math.min(left, PER_ADDRESS - (opened % PER_ADDRESS));
        if (opened % PER_ADDRESS === 0) address++;
        await flood.open(router.port, `127.0.${2 + Math.floor((address - 1) / 250)}.${((address - 1) % 250) + 1}`, n);
        opened += n;
        left -= n;
      }
      stop = true;
      await normal;
      const stats = (await router.client.stats()).connections!;
      latencies.sort((a, b) => a - b);
      const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
      console.log(`| ${opened} | ${stats.open} | ${flood.openCount} | ${stats.shed} | ${latencies.length} | ${errors.length} | ${q(0.5)} | ${q(0.99)} |`);
      if (errors.length > 0) progress(`errors: ${[...new Set(errors)].join(', ')}`);
      totalErrors += errors.length;
      if (errors.length === 0) bestClean = Math.max(bestClean, stats.open);
    }
    console.log(
      `\nidle connections held by the router while a normal client saw no error: ${bestClean} (cap ${limits.maxConnections}); normal-client errors over the run: ${totalErrors}`,
    );
  } finally {
    flood.destroyAll();
    await app.close();
    await router.stop();
    await removeHome(router.home);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
