import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { wharfPaths } from '../src/core/paths.js';
import { stopRouter } from '../src/router/launch.js';
import { REPO, startWharf, type Wharf } from '../test/helpers/wharf.js';
import { cli } from './deploys.js';
import { cpuSeconds } from './measure.js';
import { getStatus } from './proxies.js';
import { runWrk } from './wrk.js';

// Where the router's CPU goes: `node --import tsx bench/profile-router.ts [--perf]` (after
// npm run build). Deploys the bench app, replaces Wharf's router with the same compiled router
// under `node --cpu-prof`, runs the benchmark's wrk load against it, and prints the self time by
// function and by area (router code, Node internals, GC). Not part of `npm run bench`.
//
// V8's profiler samples wall time: a router thread preempted inside a socket write (loopback
// writes wake wrk or the app on the same 2 cores) counts as time in writev. With --perf the
// router also runs under `perf record` (on-CPU samples, JIT names from --perf-basic-prof), which
// splits real CPU between kernel, V8/Node C++ and JavaScript.

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native / V8 builtins)';
  if (url.includes('/dist/router/') || url.includes('/src/router/')) return `router: ${path.basename(url)}`;
  if (url.startsWith('node:internal/http') || url === 'node:_http_server' || url.startsWith('node:_http')) return 'node:http (server side)';
  if (url.startsWith('node:internal/streams') || url.startsWith('node:stream')) return 'node:streams';
  if (url.startsWith('node:net') || url.startsWith('node:internal/net') || url.includes('stream_base')) return 'node:net';
  if (url.startsWith('node:')) return 'node: other';
  return url;
}

export function summarize(profile: Profile, top = 25): string {
  const selfUs = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'}  ${url ? `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  const lines = [`profile: ${(total / 1e6).toFixed(2)} s sampled`, '', 'self time by area:'];
  for (const [k, us] of sorted(byArea)) lines.push(`  ${pct(us)}  ${k}`);
  lines.push('', `self time, top ${top} functions:`);
  for (const [k, us] of sorted(byFn).slice(0, top)) lines.push(`  ${pct(us)}  ${k}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'wharf-prof-'));
  let wharf: Wharf | null = null;
  let router: ReturnType<typeof spawn> | null = null;
  let perfMapPid: number | null = null;
  try {
    process.env.TMPDIR = tmp; // the harness's WHARF_HOME goes inside tmp, removed below whatever happens
    wharf = await startWharf({ WHARF_RECONCILE_INTERVAL_MS: '2000' });
    const paths = wharfPaths(wharf.home);
    const appDir = path.join(tmp, 'bench-app');
    await cp(path.join(REPO, 'bench/app'), appDir, { recursive: true });
    await cli(wharf, ['init', '--name', 'bench'], appDir);
    await cli(wharf, ['up', '--service', 'bench'], appDir);
    const host = 'bench-production-bench.localhost';

    // Swap in a profiled router: same program, same home and port; it reloads the persisted routes.
    await stopRouter(paths, 10_000);
    const profDir = path.join(tmp, 'prof');
    const flags = withPerf ? ['--perf-basic-prof-only-functions'] : ['--cpu-prof', '--cpu-prof-dir', profDir];
    router = spawn(process.execPath, [...flags, path.join(REPO, 'dist/router/main.js')], {
      env: { ...wharf.env, WHARF_ROUTER_HOST: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (withPerf) perfMapPid = router.pid ?? null;
    const deadline = Date.now() + 10_000;
    while ((await getStatus(wharf.routerPort, host)) !== 200) {
      if (Date.now() > deadline) throw new Error('the profiled router does not serve the bench app');
      await sleep(100);
    }
    const opts = { url: `http://127.0.0.1:${wharf.routerPort}/`, host, threads: 1, connections: 32, durationS: 10 };
    await runWrk({ ...opts, durationS: 3 });
    const c0 = await cpuSeconds([router.pid!]);
    const perfData = path.join(tmp, 'perf.data');
    const perf = withPerf ? runQuiet(['perf', 'record', '-F', '499', '-g', '-o', perfData, '-p', String(router.pid), '--', 'sleep', '8'], 30_000) : null;
    const result = await runWrk(opts);
    await perf;
    const c1 = await cpuSeconds([router.pid!]);
    console.log(`profiled router: ${result.rps.toFixed(0)} req/s, p99 ${result.p99.toFixed(2)} ms, ${(((c1 - c0) * 1e6) / result.requests).toFixed(1)} µs CPU/req (profiler overhead included)`);
    const exited = new Promise((resolve) => router!.once('exit', resolve));
    router.kill('SIGTERM');
    await exited;
    router = null;
    if (withPerf) {
      for (const sort of ['dso', 'dso,sym']) {
        const report = await runQuiet(['perf', 'report', '-i', perfData, '--no-children', '--sort', sort, '--stdio', '--percent-limit', '0.4'], 60_000);
        console.log(`\nperf report --sort ${sort}:\n${report.split('\n').filter((l) => l.trim() && !l.startsWith('#') && /%/.test(l) && !/^\s+\|/.test(l) && !/--/.test(l)).slice(0, 45).join('\n')}`);
      }
      return;
    }
    const file = (await readdir(profDir)).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    console.log(summarize(JSON.parse(await readFile(path.join(profDir, file), 'utf8')) as Profile));
  } finally {
    if (perfMapPid !== null) await rm(`/tmp/perf-${perfMapPid}.map`, { force: true });
    if (router && router.exitCode === null) router.kill('SIGKILL');
    await wharf?.cleanup();
    await rm(tmp, { recursive: true, force: true });
  }
}

const withPerf = process.argv.includes('--perf');

/** Runs an argv array (bounded in time) and returns its stdout. */
function runQuiet(argv: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${argv.join(' ')} exited with ${code}: ${err}`));
    });
  });
}

await main();
