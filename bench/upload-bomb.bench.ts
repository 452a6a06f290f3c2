import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { gzipBomb, tarBomb, tarOfGzippedBody } from '../test/helpers/tarball.js';
import { adminToken, httpRequest, startWharf, type Wharf } from '../test/helpers/wharf.js';

// Upload bombs against a real control plane (the compiled server, default limits): for each
// archive, /v1/health is polled back to back while the upload runs, and the server's RSS sampled.
//
//   npm run build && node --import tsx bench/upload-bomb.bench.ts
//
// Figures: upload size, what it inflates to, the answer, how long the answer took, health
// latency (p50 / p99 / max over the polls during the upload) and the server's peak RSS.
// "Survives" = every health answer came under 100 ms. BENCH_BOMB_MAX_MB (default 190, just under
// the 200 MiB upload limit) caps the biggest upload.

const MAX_MB = Number(process.env.BENCH_BOMB_MAX_MB ?? 190);
const progress = (m: string) => process.stderr.write(`[bench] ${m}\n`);

/** A .tar.gz of one `mib` MiB file that compresses about 45:1: under the ratio limit, so it inflates to the size limit. */
function atRatioTar(mib: number): Buffer {
  const member = Buffer.alloc(64 * 1024 * 1024);
  for (let off = 0; off < member.length; off += 4096) randomBytes(80).copy(member, off);
  const gz = gzipSync(member, { level: 6 });
  const n = Math.ceil(mib / 64);
  return tarOfGzippedBody('data.bin', n * member.length, Array.from({ length: n }, () => gz));
}

interface Row {
  name: string;
  uploadMb: number;
  inflatesGb: number;
  status: number;
  answer: string;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  polls: number;
  rssMb: number;
}

async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function measure(wharf: Wharf, token: string, name: string, body: Buffer, inflatesGb: number, service: string): Promise<Row> {
  const api = `http://127.0.0.1:${wharf.apiPort}`;
  const pid = wharf.server!.pid!;
  let peak = await rss(pid);
  const started = performance.now();
  let done = false;
  const upload = fetch(`${api}/v1/projects/bomb/environments/production/services/${service}/deployments?create=1`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
    body: new Uint8Array(body),
  })
    .then(async (res) => ({ status: res.status, text: await res.text() }))
    .finally(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const t = performance.now();
    const res = await fetch(`${api}/v1/health`, { signal: AbortSignal.timeout(60_000) });
    await res.arrayBuffer();
    latencies.push(performance.now() - t);
    peak = Math.max(peak, await rss(pid));
  }
  const answer = await upload;
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  let message = answer.text;
  try {
    const parsed = JSON.parse(answer.text) as { error?: { message: string }; status?: string };
    message = parsed.error?.message ?? `accepted (${parsed.status})`;
  } catch {
    /* not JSON */
  }
  return { name, uploadMb: body.length / 1e6, inflatesGb, status: answer.status, answer: message.slice(0, 70), seconds, p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1] ?? 0, polls: latencies.length, rssMb: peak };
}

const wharf = await startWharf();
try {
  const token = await adminToken(wharf);
  const created = await httpRequest(`http://127.0.0.1:${wharf.apiPort}/v1/projects`, { method: 'POST', body: JSON.stringify({ name: 'bomb' }), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  if (created.status !== 201) throw new Error(created.body);
  const rows: Row[] = [];
  const cases: Array<[string, () => Buffer, number]> = [
    ['gzipped zeros (not a tar)', () => gzipBomb(10 * 1024), 10],
    ['gzipped zeros (not a tar)', () => gzipBomb(Math.floor((MAX_MB * 1e6) / 65_200) * 64), Math.floor((MAX_MB * 1e6) / 65_200) / 16],
    ['tar of one zero file', () => tarBomb(1024), 1],
    ['tar of one zero file', () => tarBomb(Math.floor((MAX_MB * 1e6) / 65_200) * 64), Math.floor((MAX_MB * 1e6) / 65_200) / 16],
    ['tar at 45:1, to the 2 GiB limit', () => atRatioTar(2048), 2],
    ['gzipped zeros over the upload limit', () => gzipBomb(Math.ceil((220 * 1e6) / 65_200) * 64), Math.ceil((220 * 1e6) / 65_200) / 16],
  ];
  let i = 0;
  for (const [name, make, gb] of cases) {
    progress(`building ${name} (${gb.toFixed(0)} GiB)`);
    const body = make();
    progress(`uploading ${(body.length / 1e6).toFixed(1)} MB`);
    rows.push(await measure(wharf, token, name, body, gb, `bomb${i++}`));
  }
  console.log('| archive | upload MB | inflates to GiB | answer | s | health p50 ms | p99 ms | max ms | polls | server peak RSS MB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.uploadMb.toFixed(1)} | ${r.inflatesGb.toFixed(0)} | ${r.status} ${r.answer} | ${r.seconds.toFixed(2)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${r.polls} | ${r.rssMb.toFixed(0)} |`);
  }
  const survived = rows.filter((r) => r.max < 100 && r.status >= 400 && r.status < 500);
  const largest = survived.sort((a, b) => b.inflatesGb - a.inflatesGb)[0];
  console.log(largest ? `largest bomb refused with every health answer under 100 ms: ${largest.inflatesGb.toFixed(0)} GiB from ${largest.uploadMb.toFixed(1)} MB (${largest.name})` : 'no bomb was refused with health under 100 ms');
} finally {
  await wharf.cleanup();
}
