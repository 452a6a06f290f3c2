import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// The compiled module, as the control plane runs it (`npm run build` first): from sources the
// worker thread would also load tsx, which costs more than the copy itself.
import type * as WorkCopy from '../src/server/isolation/work-copy.js';

type WorkCopyMode = WorkCopy.WorkCopyMode;
const { makeWorkCopy, sealRelease } = (await import(new URL('../dist/server/isolation/work-copy.js', import.meta.url).href)) as typeof WorkCopy;

// What a replica's working copy costs at start (docs/isolation.md): `node --import tsx
// bench/work-copy.bench.ts` after `npm run build`. Three releases (a tiny app, one package tree of ~1,000 files, and
// this repository's node_modules as a heavy Node app), each sealed as a build is, then copied
// RUNS times per mode into a fresh folder; prints the median and the spread in ms. Run as root
// to include the chown to an app user (as the control plane does).

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const REPO = path.resolve(import.meta.dirname, '..');

async function countFiles(dir: string): Promise<number> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'wharf-work-copy-bench-'));
  const user = process.getuid?.() === 0 ? { uid: 299_999, gid: 299_999 } : null;
  try {
    const sources: Array<[string, string]> = [
      ['tiny app (test/fixtures/hooks-app)', path.join(REPO, 'test/fixtures/hooks-app')],
      ['one package tree (node_modules/zod)', path.join(REPO, 'node_modules/zod')],
      ['heavy Node app (the repo node_modules)', path.join(REPO, 'node_modules')],
    ];
    console.log(`work copy per replica start, ${RUNS} runs, user ${user ? user.uid : '(own)'}; ms: median (min-max)`);
    console.log('release | files | link | copy');
    for (const [label, source] of sources) {
      const release = path.join(tmp, `release-${sources.findIndex(([l]) => l === label)}`);
      await cp(source, release, { recursive: true, verbatimSymlinks: true, dereference: false });
      await sealRelease(release);
      const files = await countFiles(release);
      const cells: string[] = [];
      for (const mode of ['link', 'copy'] as WorkCopyMode[]) {
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const dest = path.join(tmp, `work-${mode}-${i}`);
          const started = process.hrtime.bigint();
          await makeWorkCopy(release, dest, { mode, user });
          times.push(Number(process.hrtime.bigint() - started) / 1e6);
          await rm(dest, { recursive: true, force: true });
        }
        times.sort((a, b) => a - b);
        cells.push(`${times[Math.floor(times.length / 2)]!.toFixed(1)} (${times[0]!.toFixed(1)}-${times.at(-1)!.toFixed(1)})`);
      }
      console.log(`${label} | ${files} | ${cells.join(' | ')}`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
