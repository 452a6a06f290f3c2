import { chmod, cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { wharfPaths } from '../src/core/paths.js';
import { freePort } from '../src/server/ports.js';
import { ProcessRuntime } from '../src/server/runtimes/process/process-runtime.js';
import { copyExample, REPO, startWharf, type Wharf } from '../test/helpers/wharf.js';
import { addDependency, cli, deployAndWait, setSourceVersion, timeRollback, timeUp, type RollbackTiming, type UpTiming } from './deploys.js';
import { cpuSeconds, cpuTime, descendants, machineBusySeconds, mb, reapedChildrenSeconds, rssBytes } from './measure.js';
import { getStatus, startCaddy, startNginx, type RunningProxy } from './proxies.js';
import { runWrk, wrkArgv, type WrkOptions, type WrkResult } from './wrk.js';

// `npm run bench`: one Wharf, one app, and every figure the issue asks for. See bench/README.md.

const WRK = { threads: 1, connections: 32, durationS: Number(process.env.BENCH_DURATION_S ?? 10) };
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 3);
const IDLE_WAIT_MS = 3_000;
const CP_RSS_TARGET = 120 * 1024 * 1024;

const cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
let cleaning: Promise<void> | null = null;

function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    for (const { what, run } of cleanups.reverse()) {
      try {
        await run();
      } catch (err) {
        console.error(`cleanup: ${what}: ${(err as Error).message}`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: cleaning up…`);
    void cleanupAll().then(() => process.exit(130));
  });
}

const log = (line: string) => console.error(`[bench] ${line}`);

interface ServiceInfo {
  host: string;
  replicas: Array<{ id: string; port: number | null; state: string }>;
}

async function serviceStatus(wharf: Wharf, cwd: string): Promise<ServiceInfo> {
  const services = JSON.parse((await cli(wharf, ['status', '--json'], cwd)).stdout) as ServiceInfo[];
  if (services.length !== 1) throw new Error(`expected one service in the project, got ${services.length}`);
  return services[0]!;
}

interface Row {
  name: string;
  result: WrkResult;
  /** Processes of the proxy (none for the direct run). */
  proxyCpuUsPerReq: number | null;
  /** The proxy's user and kernel shares of proxyCpuUsPerReq. */
  proxyUserUs: number | null;
  proxySysUs: number | null;
  appCpuUsPerReq: number;
  wrkCpuUsPerReq: number;
  /** Cores busy with anything else on the machine during the run (other users' work). */
  otherCores: number;
}

const QUIET_CORES = 0.25;
const QUIET_WAIT_MS = 60_000;

/** Waits (up to a minute) until the machine is nearly idle, so other work does not skew a run. */
async function waitForQuiet(name: string): Promise<number> {
  const deadline = Date.now() + QUIET_WAIT_MS;
  for (;;) {
    const b0 = await machineBusySeconds();
    await sleep(1_000);
    const busy = (await machineBusySeconds()) - b0;
    if (busy <= QUIET_CORES) return busy;
    if (Date.now() > deadline) {
      log(`${name}: the machine is still busy (${busy.toFixed(2)} cores used by others); measuring anyway`);
      return busy;
    }
    log(`${name}: waiting for the machine to be quiet (${busy.toFixed(2)} cores busy)`);
  }
}

async function measureTarget(
  name: string,
  opts: WrkOptions,
  proxyPids: () => Promise<number[]>,
  appPids: () => Promise<number[]>,
): Promise<Row> {
  log(`${name}: warm-up ${WARMUP_S} s, then wrk ${wrkArgv(opts).join(' ')}`);
  await runWrk({ ...opts, durationS: WARMUP_S });
  await waitForQuiet(name);
  const pPids = await proxyPids();
  const aPids = await appPids();
  const [p0, a0, w0, m0, t0] = [await cpuTime(pPids), await cpuSeconds(aPids), await reapedChildrenSeconds(), await machineBusySeconds(), performance.now()];
  const result = await runWrk(opts);
  const [p1, a1, w1, m1, t1] = [await cpuTime(pPids), await cpuSeconds(aPids), await reapedChildrenSeconds(), await machineBusySeconds(), performance.now()];
  if (result.socketErrors > 0 || result.non2xx > 0) log(`${name}: ${result.socketErrors} socket errors, ${result.non2xx} non-2xx responses`);
  const perReq = (seconds: number) => (seconds * 1e6) / result.requests;
  const proxyUser = p1.user - p0.user;
  const proxySys = p1.sys - p0.sys;
  return {
    name,
    result,
    proxyCpuUsPerReq: pPids.length > 0 ? perReq(proxyUser + proxySys) : null,
    proxyUserUs: pPids.length > 0 ? perReq(proxyUser) : null,
    proxySysUs: pPids.length > 0 ? perReq(proxySys) : null,
    appCpuUsPerReq: perReq(a1 - a0),
    wrkCpuUsPerReq: perReq(w1 - w0),
    otherCores: Math.max(0, (m1 - m0 - proxyUser - proxySys - (a1 - a0) - (w1 - w0)) / ((t1 - t0) / 1000)),
  };
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

interface Memory {
  label: string;
  controlPlane: number | null;
  router: number | null;
  supervisor: number | null;
}

async function idleMemory(label: string, cpPid: number, routerPid: number, supervisorPid: number | null): Promise<Memory> {
  await sleep(IDLE_WAIT_MS);
  return {
    label,
    controlPlane: await rssBytes(cpPid),
    router: await rssBytes(routerPid),
    supervisor: supervisorPid === null ? null : await rssBytes(supervisorPid),
  };
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'wharf-bench-'));
  // mkdtemp makes it 0700; apps run as their own users and must pass through to their folders.
  await chmod(tmp, 0o755);
  cleanups.push({ what: `remove ${tmp}`, run: () => rm(tmp, { recursive: true, force: true }) });

  // The harness makes WHARF_HOME with os.tmpdir(): inside our temp folder, it goes away with it
  // even when the control plane fails to start (the harness then has no cleanup to call).
  process.env.TMPDIR = tmp;
  log('starting Wharf (compiled control plane, temp WHARF_HOME, free ports)');
  // The server's own reconcile interval (the harness shortens it for tests).
  const wharf = await startWharf({ WHARF_RECONCILE_INTERVAL_MS: '2000' });
  cleanups.push({ what: 'Wharf', run: () => wharf.cleanup() });
  const paths = wharfPaths(wharf.home);
  const runtime = new ProcessRuntime({ replicasDir: paths.replicas, work: { appsDir: paths.apps, mode: 'link' } });
  const cpPid = wharf.server!.pid!;
  const routerPid = Number((await readFile(paths.routerPidFile, 'utf8')).trim());

  // --- the bench app, deployed with Wharf -------------------------------------------------
  const appDir = path.join(tmp, 'bench-app');
  await cp(path.join(REPO, 'bench/app'), appDir, { recursive: true });
  await cli(wharf, ['init', '--name', 'bench'], appDir);
  log('wharf up (bench app)');
  await cli(wharf, ['up', '--service', 'bench'], appDir);
  const bench = await serviceStatus(wharf, appDir);
  const appPort = bench.replicas.find((r) => r.port !== null)?.port;
  if (!appPort) throw new Error(`no replica port in wharf status: ${JSON.stringify(bench)}`);
  const replica = (await runtime.list()).find((r) => r.port === appPort);
  if (!replica?.appPid) throw new Error(`no app pid for the replica on port ${appPort}`);
  const appPid = replica.appPid;
  const appPids = async () => [appPid, ...(await descendants(appPid))];
  if ((await getStatus(wharf.routerPort, bench.host)) !== 200) throw new Error(`the router does not serve ${bench.host}`);

  const memBefore = await idleMemory('after the first deploy, before load', cpPid, routerPid, replica.supervisorPid);

  // --- 1. proxy throughput ------------------------------------------------------------------
  const rows: Row[] = [];
  const none = async () => [] as number[];
  rows.push(await measureTarget('direct (no proxy)', { ...WRK, url: `http://127.0.0.1:${appPort}/` }, none, appPids));
  rows.push(
    await measureTarget('wharf router', { ...WRK, url: `http://127.0.0.1:${wharf.routerPort}/`, host: bench.host }, async () => [routerPid], appPids),
  );
  const withProxy = async (start: () => Promise<RunningProxy>): Promise<Row> => {
    const proxy = await start();
    const entry = { what: proxy.name, run: () => proxy.stop() };
    cleanups.push(entry);
    try {
      return await measureTarget(proxy.name, { ...WRK, url: `http://127.0.0.1:${proxy.port}/` }, () => proxy.pids(), appPids);
    } finally {
      await proxy.stop();
      cleanups.splice(cleanups.indexOf(entry), 1);
    }
  };
  const proxyOpts = async (name: string) => ({ dir: path.join(tmp, name), port: await freePort(), upstreamPort: appPort });
  rows.push(await withProxy(async () => startNginx({ ...(await proxyOpts('nginx-1')), workers: '1' })));
  rows.push(await withProxy(async () => startNginx({ ...(await proxyOpts('nginx-auto')), workers: 'auto' })));
  rows.push(await withProxy(async () => startCaddy(await proxyOpts('caddy'))));

  // --- 2. wharf up → new version answering (Node example + one dependency) -------------------
  const nodeDir = await copyExample('node-web', tmp);
  log('preparing node-web with the ms dependency (npm install --package-lock-only)');
  await addDependency(nodeDir);
  await cli(wharf, ['init', '--name', 'nodeweb'], nodeDir);
  const nodeHost = 'web-production-nodeweb.localhost';
  const ups: UpTiming[] = [];
  await setSourceVersion(nodeDir, 'a');
  log('wharf up (node-web, first deploy)');
  ups.push(await timeUp(wharf, nodeDir, nodeHost, 'a', 'first deploy'));
  await setSourceVersion(nodeDir, 'b');
  log('wharf up (node-web, changed source)');
  ups.push(await timeUp(wharf, nodeDir, nodeHost, 'b', 'new version'));
  if ((await serviceStatus(wharf, nodeDir)).host !== nodeHost) throw new Error('node-web is not on the expected host');

  // --- 3. rollback ----------------------------------------------------------------------------
  // Newer CLIs redeploy on `variables --set` unless told not to; stage it, then one redeploy.
  const variablesHelp = (await cli(wharf, ['variables', '--help'], nodeDir)).stdout;
  const setArgs = ['variables', '--set', 'APP_VERSION=2', ...(variablesHelp.includes('--skip-deploy') ? ['--skip-deploy'] : [])];
  log(`wharf ${setArgs.join(' ')} + wharf redeploy`);
  await cli(wharf, setArgs, nodeDir);
  await deployAndWait(wharf, ['redeploy'], nodeDir, nodeHost, '2');
  const previous = ups[1]!.deployment;
  log(`wharf rollback ${previous}`);
  const rollback: RollbackTiming = await timeRollback(wharf, nodeDir, nodeHost, previous, '2', 'b');

  // --- 4. idle memory ---------------------------------------------------------------------------
  const benchReplica = (await runtime.list()).find((r) => r.port === appPort);
  const memAfter = await idleMemory('at the end, 3 s after the last command', cpPid, routerPid, benchReplica?.supervisorPid ?? null);

  printReport(rows, ups, rollback, [memBefore, memAfter]);
}

function printReport(rows: Row[], ups: UpTiming[], rollback: RollbackTiming, memory: Memory[]): void {
  const nginx = rows.find((r) => r.name === 'nginx (worker_processes 1)')!;
  const router = rows.find((r) => r.name === 'wharf router')!;
  const caddy = rows.find((r) => r.name === 'caddy')!;
  const us = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} µs`);
  const out: string[] = [];
  out.push('');
  out.push(`Wharf benchmark — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
  out.push('');
  out.push(`1. Proxy throughput: wrk ${wrkArgv({ ...WRK, url: '<url>' }).join(' ')} (after a ${WARMUP_S} s warm-up per target)`);
  out.push('   Every target forwards to the same app process (the bench app replica Wharf started).');
  out.push(`   wrk, the proxy and the app all share the machine's ${os.cpus().length} cores, so rps is bounded by the sum of their CPU.`);
  out.push('   CPU/req: utime+stime delta from /proc/<pid>/stat during the measured run ÷ requests (proxy: all its processes;');
  out.push('   usr / sys: the proxy\'s user-space and kernel (socket syscalls) shares in µs; app: the replica\'s process tree;');
  out.push('   wrk: from cutime+cstime of this process once wrk has exited).');
  out.push('   "other load": machine busy time (/proc/stat) not spent by wrk, proxy or app, in cores; near 0 means an undisturbed run.');
  out.push('');
  out.push(
    table(
      ['target', 'req/s', 'p50', 'p99', 'rps/nginx', 'p99/nginx', 'proxy CPU/req', 'usr / sys', 'app CPU/req', 'wrk CPU/req', 'errors', 'other load'],
      rows.map((r) => [
        r.name,
        r.result.rps.toFixed(0),
        `${r.result.p50.toFixed(2)} ms`,
        `${r.result.p99.toFixed(2)} ms`,
        (r.result.rps / nginx.result.rps).toFixed(2),
        (r.result.p99 / nginx.result.p99).toFixed(2),
        us(r.proxyCpuUsPerReq),
        r.proxyUserUs === null ? '-' : `${r.proxyUserUs.toFixed(1)} / ${r.proxySysUs!.toFixed(1)}`,
        us(r.appCpuUsPerReq),
        us(r.wrkCpuUsPerReq),
        String(r.result.socketErrors + r.result.non2xx),
        `${r.otherCores.toFixed(2)} cores`,
      ]),
    ),
  );
  out.push('');
  out.push('   Ratios are to nginx with worker_processes 1 (one process, like the router); the "auto" row is nginx with one worker per core.');
  const rpsShare = router.result.rps / nginx.result.rps;
  const p99Ratio = router.result.p99 / nginx.result.p99;
  out.push(`   ${verdict(rpsShare >= 0.5)}  router rps ≥ 50% of nginx: ${(rpsShare * 100).toFixed(0)}% (${router.result.rps.toFixed(0)} vs ${nginx.result.rps.toFixed(0)})`);
  out.push(`   ${verdict(router.result.rps > caddy.result.rps)}  router rps ahead of Caddy: ${router.result.rps.toFixed(0)} vs ${caddy.result.rps.toFixed(0)} (${((router.result.rps / caddy.result.rps) * 100).toFixed(0)}%)`);
  out.push(`   ${verdict(p99Ratio <= 2)}  router p99 ≤ 2× nginx: ${p99Ratio.toFixed(2)}× (${router.result.p99.toFixed(2)} ms vs ${nginx.result.p99.toFixed(2)} ms)`);
  out.push('');
  out.push('2. `wharf up` until the new version answers through the router (examples/node-web + ms@2.1.3, npm ci)');
  out.push('');
  out.push(
    table(
      ['deploy', '#', 'up → answering', 'up → CLI exit', 'build', 'install step'],
      ups.map((u) => [u.label, String(u.deployment), secs(u.answeringMs), secs(u.cliMs), u.buildMs === null ? '-' : secs(u.buildMs), u.install ? `${secs(u.install.durationMs)} (${u.install.step})` : '-']),
    ),
  );
  out.push('   "install step" is from the build log timestamps (its "==> [i/n]" line to the next "==>" line); it is part of "up → answering".');
  out.push('');
  out.push(`3. Rollback: \`wharf rollback ${rollback.deployment}\` (version ${rollback.fromVersion} → ${rollback.toVersion}, the previous live deployment) until the router serves ${rollback.toVersion} (polled every 20 ms)`);
  out.push(`   rollback → answering: ${secs(rollback.answeringMs)}    rollback → CLI exit: ${secs(rollback.cliMs)}`);
  out.push('');
  out.push('4. Idle memory (VmRSS)');
  out.push('');
  out.push(
    table(
      ['when', 'control plane', 'router', 'one supervisor'],
      memory.map((m) => [m.label, mb(m.controlPlane), mb(m.router), mb(m.supervisor)]),
    ),
  );
  const worst = Math.max(...memory.map((m) => m.controlPlane ?? Infinity));
  out.push(`   ${verdict(worst < CP_RSS_TARGET)}  control plane idle RSS < 120 MB: ${mb(worst)} (largest of the two)`);
  out.push('');
  console.log(out.join('\n'));
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await cleanupAll();
}
process.exit(failed ? 1 : 0);
