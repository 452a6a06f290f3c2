import { chmod, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { wharfPaths } from '../src/core/paths.js';
import { homeLabel } from '../src/server/runtimes/docker/labels.js';
import { ProcessRuntime } from '../src/server/runtimes/process/process-runtime.js';
import { dockerEngine, dockerWharfEnv, ensureBaseImages } from '../test/helpers/docker.js';
import { copyExample, startWharf, type Wharf } from '../test/helpers/wharf.js';
import { addDependency, cli, setSourceVersion, timeRollback, timeUp, type RollbackTiming, type UpTiming } from './deploys.js';
import { descendants, mb, rssBytes } from './measure.js';

// `node --import tsx bench/runtimes.bench.ts`: the process runtime next to the docker runtime in
// one run. One Wharf on each; the same small app (examples/node-web) deployed on both; `wharf
// up` (cold and warm) and `wharf rollback` until the router answers, and what each runtime
// adds in memory per replica. See bench/README.md.

const RUNS = Math.max(1, Number(process.env.BENCH_RUNTIME_RUNS ?? 3));
/** BENCH_RUNTIME_DEPS=1: the app gets one real dependency (ms), so each build runs a real `npm ci`
 *  (on docker inside the build, from the npm registry; on process from the host's npm cache). */
const WITH_DEPS = process.env.BENCH_RUNTIME_DEPS === '1';
const IDLE_WAIT_MS = 3_000;

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
const loadAtStart = os.loadavg()[0]!;

type RuntimeName = 'process' | 'docker';

interface Sample {
  project: string;
  cold: UpTiming;
  warm: UpTiming;
  rollback: RollbackTiming;
  /** First build-log line → "==> build finished" (both runtimes log that line), per deploy. */
  coldBuildMs: number | null;
  warmBuildMs: number | null;
}

/** One replica's memory: what the runtime adds around the app, and the app itself. */
interface ReplicaMemory {
  replica: string;
  /** process: the supervisor; docker: the containerd shim + docker-init (tini). */
  overheadRss: number;
  overheadPss: number;
  /** The shim's share alone (docker), for the split. */
  shimRss: number | null;
  initRss: number | null;
  /** npm start → sh → node server.js, all of them. */
  appRss: number;
  appPss: number;
  /** node server.js alone. */
  nodeRss: number;
}

interface SideResult {
  runtime: RuntimeName;
  samples: Sample[];
  replicas: ReplicaMemory[];
  controlPlaneRss: number | null;
  routerRss: number | null;
}

/** Proportional set size (shared pages split among the processes that map them), or 0 when gone. */
async function pssBytes(pid: number): Promise<number> {
  try {
    const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    const match = /^Pss:\s+(\d+)\s+kB$/m.exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function sum(pids: number[], read: (pid: number) => Promise<number | null>): Promise<number> {
  let total = 0;
  for (const pid of pids) total += (await read(pid)) ?? 0;
  return total;
}

/** The pid of the containerd-shim-runc-v2 whose `-id` argument is this container's id. */
async function shimPid(containerId: string): Promise<number | null> {
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0');
    } catch {
      continue;
    }
    if (!argv[0]?.endsWith('containerd-shim-runc-v2')) continue;
    const at = argv.indexOf('-id');
    if (at >= 0 && argv[at + 1] === containerId) return Number(name);
  }
  return null;
}

async function comm(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
}

async function named(pids: number[], name: string): Promise<number[]> {
  const out: number[] = [];
  for (const pid of pids) if ((await comm(pid)) === name) out.push(pid);
  return out;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * The build's share of a deploy, from the build log's timestamps. bench/deploys.ts buildSteps
 * stops at "==> start:", which only the process runtime's builds log; "==> build finished"
 * ends the build on both.
 */
async function buildMs(wharf: Wharf, dir: string, deployment: number): Promise<number | null> {
  const out = (await cli(wharf, ['logs', '--build', '--json', '--deployment', String(deployment)], dir)).stdout;
  const lines = out
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as { t: string; m: string });
  const end = lines.find((l) => l.m.startsWith('==> build finished'));
  return lines[0] && end ? Date.parse(end.t) - Date.parse(lines[0].t) : null;
}

/** A fresh project on one Wharf: first deploy (cold), a changed source (warm), rollback to the first. */
async function deployRun(runtime: RuntimeName, wharf: Wharf, tmp: string, nonce: string, i: number): Promise<Sample> {
  const project = `rt${runtime.slice(0, 4)}${i}`;
  const host = `web-production-${project}.localhost`;
  const dir = await copyExample('node-web', tmp);
  if (WITH_DEPS) await addDependency(dir);
  await cli(wharf, ['init', '--name', project], dir);
  // Versions unique to this bench run: a source no earlier build has seen, so the docker
  // engine's layer cache cannot serve the copy of the source or what follows it.
  const [coldVersion, warmVersion] = [`c${i}-${nonce}`, `w${i}-${nonce}`];
  await setSourceVersion(dir, coldVersion);
  log(`${runtime} ${i + 1}/${RUNS}: wharf up (cold, ${project})`);
  const cold = await timeUp(wharf, dir, host, coldVersion, 'cold');
  await setSourceVersion(dir, warmVersion);
  log(`${runtime} ${i + 1}/${RUNS}: wharf up (warm, changed source)`);
  const warm = await timeUp(wharf, dir, host, warmVersion, 'warm');
  log(`${runtime} ${i + 1}/${RUNS}: wharf rollback ${cold.deployment}`);
  const rollback = await timeRollback(wharf, dir, host, cold.deployment, warmVersion, coldVersion);
  const sample = {
    project,
    cold,
    warm,
    rollback,
    coldBuildMs: await buildMs(wharf, dir, cold.deployment),
    warmBuildMs: await buildMs(wharf, dir, warm.deployment),
  };
  log(`${runtime} ${i + 1}/${RUNS}: cold ${secs(cold.answeringMs)}, warm ${secs(warm.answeringMs)}, rollback ${secs(rollback.answeringMs)}`);
  return sample;
}

async function processReplicas(wharf: Wharf): Promise<ReplicaMemory[]> {
  const paths = wharfPaths(wharf.home);
  const runtime = new ProcessRuntime({ replicasDir: paths.replicas, work: { appsDir: paths.apps, mode: 'link' } });
  const out: ReplicaMemory[] = [];
  for (const r of await runtime.list()) {
    if (r.state !== 'running' || !r.appPid || !r.supervisorPid) continue;
    const app = [r.appPid, ...(await descendants(r.appPid))];
    out.push({
      replica: r.replicaId,
      overheadRss: (await rssBytes(r.supervisorPid)) ?? 0,
      overheadPss: await pssBytes(r.supervisorPid),
      shimRss: null,
      initRss: null,
      appRss: await sum(app, rssBytes),
      appPss: await sum(app, pssBytes),
      nodeRss: await sum(await named(app, 'node'), rssBytes),
    });
  }
  return out;
}

async function dockerReplicas(docker: Docker, home: string): Promise<ReplicaMemory[]> {
  const filters = JSON.stringify({ label: [`wharf.home=${homeLabel(home)}`, 'wharf.role=app'], status: ['running'] });
  const out: ReplicaMemory[] = [];
  for (const c of await docker.listContainers({ filters })) {
    const info = await docker.getContainer(c.Id).inspect();
    const top = info.State.Pid;
    // With Init: true the container's first process is docker-init (tini); the app is its child.
    const init = (await comm(top)) === 'docker-init' ? top : null;
    const app = init === null ? [top, ...(await descendants(top))] : await descendants(top);
    const shim = await shimPid(c.Id);
    if (shim === null) log(`no containerd-shim-runc-v2 with -id ${c.Id.slice(0, 12)} under /proc`);
    const shimRss = shim === null ? 0 : ((await rssBytes(shim)) ?? 0);
    const initRss = init === null ? 0 : ((await rssBytes(init)) ?? 0);
    out.push({
      replica: c.Labels['wharf.replica'] ?? c.Id.slice(0, 12),
      overheadRss: shimRss + initRss,
      overheadPss: (shim === null ? 0 : await pssBytes(shim)) + (init === null ? 0 : await pssBytes(init)),
      shimRss,
      initRss: init === null ? null : initRss,
      appRss: await sum(app, rssBytes),
      appPss: await sum(app, pssBytes),
      nodeRss: await sum(await named(app, 'node'), rssBytes),
    });
  }
  return out;
}

async function routerPid(wharf: Wharf): Promise<number | null> {
  const text = await readFile(wharfPaths(wharf.home).routerPidFile, 'utf8').catch(() => '');
  return Number(text.trim()) || null;
}

/** Everything the docker Wharf left on the engine, found by its wharf.home label. */
async function removeEngineObjects(docker: Docker, hash: string): Promise<void> {
  const filters = JSON.stringify({ label: [`wharf.home=${hash}`] });
  const gone = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  };
  const containers = await docker.listContainers({ all: true, filters });
  for (const c of containers) await gone(docker.getContainer(c.Id).remove({ force: true, v: true }));
  const networks = await docker.listNetworks({ filters });
  for (const n of networks) await gone(docker.getNetwork(n.Id).remove());
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  for (const v of volumes) await gone(docker.getVolume(v.Name).remove());
  const images = await docker.listImages({ filters });
  for (const img of images) await gone(docker.getImage(img.Id).remove({ force: true }));
  log(`engine: removed ${containers.length} containers, ${networks.length} networks, ${volumes.length} volumes, ${images.length} images of this run`);
}

async function main(): Promise<void> {
  const docker = await dockerEngine();
  if (!docker) throw new Error('no Docker engine answers (start one: setsid dockerd > /var/log/dockerd.log 2>&1 < /dev/null &)');
  log('local base images (test/helpers/docker.ts ensureBaseImages)');
  await ensureBaseImages();

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'wharf-bench-rt-'));
  // Apps on the process runtime run as their own users and must reach their folders in here.
  await chmod(tmp, 0o755);
  cleanups.push({ what: `remove ${tmp}`, run: () => rm(tmp, { recursive: true, force: true }) });
  // WHARF_HOMEs inside our temp folder, so they go with it (after ensureBaseImages: its lock
  // file lives in the real TMPDIR, shared with the test suites).
  process.env.TMPDIR = tmp;
  const nonce = Date.now().toString(36);

  log('starting Wharf on the process runtime');
  const proc = await startWharf({ WHARF_RECONCILE_INTERVAL_MS: '2000' });
  cleanups.push({ what: 'process Wharf', run: () => proc.cleanup() });

  log('starting Wharf on the docker runtime');
  const dock = await startWharf(dockerWharfEnv({ WHARF_RECONCILE_INTERVAL_MS: '2000' }));
  const hash = homeLabel(dock.home);
  // Pushed before the Wharf's own cleanup, so it runs after it (the list runs in reverse):
  // the server is gone first, then what it made on the engine.
  cleanups.push({ what: 'engine objects of the docker Wharf', run: () => removeEngineObjects(docker, hash) });
  cleanups.push({ what: 'docker Wharf', run: () => dock.cleanup() });

  // One side at a time, so the two never compete for the cores while timed; the runs
  // alternate between the sides, so a change in the machine's other load hits both alike.
  const sides: Array<{ runtime: RuntimeName; wharf: Wharf; samples: Sample[] }> = [
    { runtime: 'process', wharf: proc, samples: [] },
    { runtime: 'docker', wharf: dock, samples: [] },
  ];
  for (let i = 0; i < RUNS; i++) {
    for (const side of sides) side.samples.push(await deployRun(side.runtime, side.wharf, tmp, nonce, i));
  }

  await sleep(IDLE_WAIT_MS);
  const results: SideResult[] = [];
  for (const side of sides) {
    const rpid = await routerPid(side.wharf);
    results.push({
      runtime: side.runtime,
      samples: side.samples,
      replicas: side.runtime === 'process' ? await processReplicas(side.wharf) : await dockerReplicas(docker, side.wharf.home),
      controlPlaneRss: await rssBytes(side.wharf.server!.pid!),
      routerRss: rpid === null ? null : await rssBytes(rpid),
    });
  }
  printReport(results);
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function printReport(results: SideResult[]): void {
  const timing = (pick: (s: Sample) => number) => (r: SideResult) => {
    const values = r.samples.map(pick);
    return `${secs(median(values))} (${values.map((v) => (v / 1000).toFixed(2)).join(', ')})`;
  };
  const memMedian = (r: SideResult, pick: (m: ReplicaMemory) => number | null) => {
    const values = r.replicas.map(pick).filter((v): v is number => v !== null);
    return values.length ? median(values) : null;
  };
  const rows: Array<[string, (r: SideResult) => string]> = [
    ['wharf up → answering, cold (first build)', timing((s) => s.cold.answeringMs)],
    ['wharf up → answering, warm (changed source)', timing((s) => s.warm.answeringMs)],
    ['  of which build, cold', timing((s) => s.coldBuildMs ?? NaN)],
    ['  of which build, warm', timing((s) => s.warmBuildMs ?? NaN)],
    ['wharf rollback → old version answering', timing((s) => s.rollback.answeringMs)],
    ['runtime overhead per replica, RSS', (r) => mb(memMedian(r, (m) => m.overheadRss))],
    ['runtime overhead per replica, PSS', (r) => mb(memMedian(r, (m) => m.overheadPss))],
    ['  containerd-shim RSS / docker-init RSS', (r) => (r.runtime === 'docker' ? `${mb(memMedian(r, (m) => m.shimRss))} / ${mb(memMedian(r, (m) => m.initRss))}` : '-')],
    ['the app (npm start → sh → node), RSS', (r) => mb(memMedian(r, (m) => m.appRss))],
    ['the app (npm start → sh → node), PSS', (r) => mb(memMedian(r, (m) => m.appPss))],
    ['  node server.js alone, RSS', (r) => mb(memMedian(r, (m) => m.nodeRss))],
    ['control plane RSS (idle, runtime loaded)', (r) => mb(r.controlPlaneRss)],
    ['router RSS', (r) => mb(r.routerRss)],
  ];
  const out: string[] = [];
  out.push('');
  out.push(`Wharf runtimes benchmark — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPUs, ${RUNS} run(s) per runtime, 1-min load average ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0]!.toFixed(2)} at the end (other work on the machine skews the times)`);
  out.push((WITH_DEPS ? 'examples/node-web + ms@2.1.3 (npm ci installs it)' : 'examples/node-web (no dependencies)') + ', one new project per run; times are medians (every run in brackets, seconds);');
  out.push(`memory: VmRSS and PSS from /proc, 3 s after the last command, median over the ${results[0]?.replicas.length ?? 0} / ${results[1]?.replicas.length ?? 0} live replicas.`);
  out.push('');
  out.push(table(['', ...results.map((r) => r.runtime)], rows.map(([label, cell]) => [label, ...results.map(cell)])));
  out.push('');
  const [p, d] = [results.find((r) => r.runtime === 'process'), results.find((r) => r.runtime === 'docker')];
  if (p && d) {
    const m = (r: SideResult, pick: (s: Sample) => number) => median(r.samples.map(pick)) / 1000;
    const diff = (pick: (s: Sample) => number) => {
      const delta = m(d, pick) - m(p, pick);
      return `${Math.abs(delta).toFixed(2)} s ${delta >= 0 ? 'longer' : 'shorter'}`;
    };
    const over = (r: SideResult, pick: (x: ReplicaMemory) => number) => memMedian(r, pick) ?? 0;
    out.push(
      `Reading: on docker, \`wharf up\` until the new version answers takes ${diff((s) => s.cold.answeringMs)} cold and ` +
        `${diff((s) => s.warm.answeringMs)} warm than on the process runtime (its build, an image build through BuildKit, ` +
        `takes ${m(d, (s) => s.warmBuildMs ?? NaN).toFixed(2)} s against ${m(p, (s) => s.warmBuildMs ?? NaN).toFixed(2)} s; the rest is ` +
        `creating and starting the container and the same health wait), and a rollback ${diff((s) => s.rollback.answeringMs)} ` +
        `(it reuses the kept image, no build). Per replica, the process runtime adds its supervisor (${mb(over(p, (x) => x.overheadRss))} RSS, ` +
        `${mb(over(p, (x) => x.overheadPss))} PSS: a Node process of its own); docker adds a containerd shim and docker-init ` +
        `(${mb(over(d, (x) => x.overheadRss))} RSS, ${mb(over(d, (x) => x.overheadPss))} PSS), not counting dockerd and containerd, ` +
        `which are shared by all containers. The app itself is the same program on both (node server.js ${mb(over(p, (x) => x.nodeRss))} ` +
        `vs ${mb(over(d, (x) => x.nodeRss))}). The control plane's idle RSS is ${mb(p.controlPlaneRss)} on process and ` +
        `${mb(d.controlPlaneRss)} with the docker runtime (dockerode) loaded; idle RSS moves by ±10-20 MB with the garbage collector, ` +
        'so only a larger gap means something.',
    );
    out.push('');
  }
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
