import { mkdir, mkdtemp, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { LogIndexer, type LogSearch } from '../src/server/logstore/indexer.js';

// The log index: ingest throughput (lines/s sustained through the real LogIndexer reading real
// log files) and search latency over the result (10 million lines by default).
//
//   node --import tsx bench/logs.bench.ts
//
// BENCH_LOG_LINES (default 10000000) sets the size. Synthetic lines in Wharf's file format
// ({t,s,m}), 30% of them JSON lines with a level and fields, spread over 12 services in 3
// projects, are written in files of 500k lines (not timed), each indexed by `scan()` (timed) and
// then deleted, so disk use stays bounded by the index. Then 50 searches of 10 kinds, newest 100
// each, scoped to one service as `wharf logs --filter` is; p50/p95 per kind and overall.
// Ingest is also given per CPU-second of this process (user + system while scan() runs): on a
// machine others are using, wall-clock lines/s fall with the share of CPU the bench gets, lines
// per CPU-second much less.

const TOTAL = Number(process.env.BENCH_LOG_LINES ?? 10_000_000);
const FILE_LINES = 500_000;
const progress = (m: string) => process.stderr.write(`[bench] ${m}\n`);

const WORDS = 'request handled user session cache miss hit query database connection pool timeout retry worker job queued started finished upload download image resize email sent webhook delivered order created invoice paid refund shipping label token refreshed'.split(' ');
const INSTANCES = Array.from({ length: 12 }, (_, i) => `si_${(0xa000 + i).toString(16).padStart(12, '0')}`);
const DEPLOYMENT = 'dep_0000000000de';

// A small fast PRNG (mulberry32), so every run writes the same lines.
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};
const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;

function message(n: number): string {
  if (n % 10_000 === 7) return 'Starting expiring status check';
  if (rand() < 0.3) {
    const r = rand();
    const level = r < 0.02 ? 'error' : r < 0.1 ? 'warn' : r < 0.3 ? 'debug' : 'info';
    return JSON.stringify({ level, msg: `${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)}`, user_id: Math.floor(rand() * 50_000), status: pick([200, 200, 200, 201, 404, 500]), ms: Math.floor(rand() * 900) });
  }
  return `${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} id=${Math.floor(rand() * 1e6)}`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'wharf-logs-bench-'));
  const stopping = () => void rm(home, { recursive: true, force: true }).finally(() => process.exit(130));
  process.once('SIGINT', stopping);
  const logs = path.join(home, 'logs');
  const projects = ['prj_000000000001', 'prj_000000000002', 'prj_000000000003'];
  const indexer = new LogIndexer({
    logsDir: logs,
    dbFile: path.join(home, 'logs.db'),
    resolve: (instance) => {
      const i = INSTANCES.indexOf(instance);
      return { project: projects[i % 3]!, environment: 'env_000000000001', service: `svc_${i}` };
    },
    maxBytesPerProject: 0,
  });
  try {
    let written = 0;
    let ingestMs = 0;
    let ingestCpuMs = 0;
    const start = Date.now() - 3_600_000; // the lines span the last hour
    let file = 0;
    while (written < TOTAL) {
      const count = Math.min(FILE_LINES, TOTAL - written);
      // One file per instance per round, as replicas write them.
      const perInstance = new Map<string, string[]>();
      for (let i = 0; i < count; i++) {
        const n = written + i;
        const instance = INSTANCES[n % INSTANCES.length]!;
        const t = new Date(start + Math.floor((n / TOTAL) * 3_600_000)).toISOString();
        const line = JSON.stringify({ t, s: rand() < 0.1 ? 'err' : 'out', m: message(n) });
        let list = perInstance.get(instance);
        if (!list) perInstance.set(instance, (list = []));
        list.push(line);
      }
      const files: string[] = [];
      for (const [instance, list] of perInstance) {
        const dir = path.join(logs, instance, DEPLOYMENT);
        await mkdir(dir, { recursive: true });
        const name = path.join(dir, `rep_${(file++).toString(16).padStart(12, '0')}.log`);
        await writeFile(name, list.join('\n') + '\n');
        files.push(name);
      }
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const added = await indexer.scan();
      ingestMs += performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      ingestCpuMs += (cpu.user + cpu.system) / 1000;
      if (added !== count) throw new Error(`indexed ${added} of ${count}`);
      written += count;
      for (const f of files) await unlink(f);
      progress(`${written.toLocaleString('en')} lines, ${Math.round(written / (ingestMs / 1000)).toLocaleString('en')} lines/s so far`);
    }
    indexer.db.pragma('wal_checkpoint(TRUNCATE)');
    const dbBytes = (await stat(path.join(home, 'logs.db'))).size;

    const one = [INSTANCES[3]!];
    const last = indexer.lastId();
    const kinds: Array<[string, (i: number) => LogSearch]> = [
      ['rare phrase', () => ({ instances: one, filter: '"Starting expiring status check"', limit: 100 })],
      ['common word', (i) => ({ instances: one, filter: WORDS[i % WORDS.length]!, limit: 100 })],
      ['level:error', () => ({ instances: one, filter: 'level:error', limit: 100 })],
      ['level:error + word', (i) => ({ instances: one, filter: `level:error ${WORDS[(i * 7) % WORDS.length]}`, limit: 100 })],
      ['@field:value', (i) => ({ instances: one, filter: `@status:${[404, 500, 201][i % 3]}`, limit: 100 })],
      ['@field rare value', (i) => ({ instances: one, filter: `@user_id:${1000 + i * 37}`, limit: 100 })],
      ['@field numeric range', () => ({ instances: one, filter: '@status:>=500 @ms:>800', limit: 100 })],
      ['OR + exclude', (i) => ({ instances: one, filter: `(${WORDS[i % 9]} OR ${WORDS[(i + 3) % 9]}) -${WORDS[(i + 5) % 9]}`, limit: 100 })],
      ['word, whole index', (i) => ({ filter: `${WORDS[(i * 5) % WORDS.length]} level:warn`, limit: 100 })],
      ['tail after an id', (i) => ({ instances: one, filter: 'level:warn', afterId: Math.max(0, last - 300_000 * (i + 1)), limit: 100 })],
    ];
    const all: number[] = [];
    const lines: string[] = [];
    for (const [name, make] of kinds) {
      const times: number[] = [];
      let found = 0;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        found += indexer.search(make(i)).length;
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      all.push(...times);
      lines.push(`  ${name.padEnd(24)} p50 ${percentile(times, 50).toFixed(1).padStart(7)} ms   max ${times[times.length - 1]!.toFixed(1).padStart(7)} ms   (${found} lines in 5 searches)`);
    }
    all.sort((a, b) => a - b);
    console.log(`log index bench (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''})`);
    console.log(`ingest: ${TOTAL.toLocaleString('en')} lines in ${(ingestMs / 1000).toFixed(1)} s = ${Math.round(TOTAL / (ingestMs / 1000)).toLocaleString('en')} lines/s sustained (target >= 50,000) ${TOTAL / (ingestMs / 1000) >= 50_000 ? 'PASS' : 'FAIL'}`);
    console.log(`ingest CPU: ${(ingestCpuMs / 1000).toFixed(1)} s = ${Math.round(TOTAL / (ingestCpuMs / 1000)).toLocaleString('en')} lines per CPU-second`);
    console.log(`logs.db: ${(dbBytes / 1_048_576).toFixed(0)} MB (${(dbBytes / TOTAL).toFixed(0)} bytes a line)`);
    console.log(`search over ${TOTAL.toLocaleString('en')} lines, ${all.length} searches:`);
    for (const line of lines) console.log(line);
    console.log(`  all: p50 ${percentile(all, 50).toFixed(1)} ms, p95 ${percentile(all, 95).toFixed(1)} ms (target < 500 ms) ${percentile(all, 95) < 500 ? 'PASS' : 'FAIL'}`);
  } finally {
    await indexer.stop();
    await rm(home, { recursive: true, force: true });
  }
}

await main();
