import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseJson, startWharf, type CliResult, type Wharf } from '../test/helpers/wharf.js';

// Backup and restore of a ~1 GB Postgres database through a real Wharf (compiled control plane,
// temp WHARF_HOME, real CLI): `wharf add postgres`, fill it with psql as the migration role,
// then time `wharf db backup` and `wharf db restore <id> --to copy` (a new database).
//
//   npm run build && node --import tsx bench/databases.bench.ts
//
// BENCH_DB_MB (default 1024) sets the target size. Figures go to stdout, progress to stderr;
// every process and temp folder is removed at the end, also on failure or Ctrl-C.

const TARGET_MB = Number(process.env.BENCH_DB_MB ?? 1024);
const BATCH_ROWS = 100_000;
// ~1 KB a row: 30 md5 hex strings (random, so the dump compresses like real text, not like zeros).
const ROW_SQL = (from: number, to: number) =>
  `INSERT INTO filler (id, pad) SELECT g, (SELECT string_agg(md5(random()::text || i::text || g::text), '') FROM generate_series(1, 30) i) FROM generate_series(${from}, ${to}) g`;

const progress = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const mb = (bytes: number) => bytes / 1_048_576;

function psql(url: string, sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { timeout: 30 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`psql: ${stderr || error.message}`)) : resolve(stdout.trim()),
    );
  });
}

let wharf: Wharf | null = null;
async function cleanup(): Promise<void> {
  const w = wharf;
  wharf = null;
  if (w) await w.cleanup();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  wharf = await startWharf({ WHARF_RECONCILE_INTERVAL_MS: '2000' });
  const w = wharf;
  const dir = path.join(w.home, 'bench-db');
  await mkdir(dir);
  const cli = async (args: string[]): Promise<CliResult> => {
    const r = await w.cli(args, { cwd: dir, timeoutMs: 60 * 60_000 });
    if (r.code !== 0) throw new Error(`wharf ${args.join(' ')} exited ${r.code}: ${r.stdout}\n${r.stderr}`);
    return r;
  };

  await cli(['init', '--name', 'bench-db']);
  progress('provisioning postgres');
  let t = Date.now();
  await cli(['add', 'postgres', '--name', 'db']);
  const provisionS = (Date.now() - t) / 1000;
  const migrationUrl = (await cli(['db', 'url', 'db', '--migration'])).stdout.trim();

  await psql(migrationUrl, 'CREATE TABLE filler (id bigint PRIMARY KEY, pad text NOT NULL)');
  t = Date.now();
  let rows = 0;
  let sizeBytes = 0;
  while (sizeBytes < TARGET_MB * 1_048_576) {
    await psql(migrationUrl, ROW_SQL(rows + 1, rows + BATCH_ROWS));
    rows += BATCH_ROWS;
    sizeBytes = Number(await psql(migrationUrl, 'SELECT pg_database_size(current_database())'));
    progress(`filled ${rows} rows, ${mb(sizeBytes).toFixed(0)} MB`);
  }
  const fillS = (Date.now() - t) / 1000;
  await psql(migrationUrl, 'CHECKPOINT').catch(() => undefined); // only a superuser may; harmless when refused

  progress('wharf db backup db');
  t = Date.now();
  const backup = parseJson<{ id: string; bytes: number; durationMs: number; sha256: string }>(await cli(['db', 'backup', 'db', '--json']));
  const backupS = (Date.now() - t) / 1000;

  progress(`wharf db restore ${backup.id} --database db --to copy`);
  t = Date.now();
  await cli(['db', 'restore', backup.id, '--database', 'db', '--to', 'copy', '--json']);
  const restoreS = (Date.now() - t) / 1000;
  const copyUrl = (await cli(['db', 'url', 'copy', '--migration'])).stdout.trim();
  const copyRows = Number(await psql(copyUrl, 'SELECT count(*) FROM filler'));
  const copyBytes = Number(await psql(copyUrl, 'SELECT pg_database_size(current_database())'));
  if (copyRows !== rows) throw new Error(`the copy has ${copyRows} rows, the source ${rows}`);

  const line = (label: string, seconds: number, note: string) =>
    `${label.padEnd(28)} ${seconds.toFixed(1).padStart(7)} s  ${(mb(sizeBytes) / seconds).toFixed(1).padStart(7)} MB/s  ${note}`;
  console.log('\nWharf managed Postgres: backup and restore');
  console.log(`database     ${mb(sizeBytes).toFixed(0)} MB (pg_database_size), ${rows} rows of ~1 KB (filled in ${fillS.toFixed(0)} s; provisioning took ${provisionS.toFixed(1)} s)`);
  console.log(`backup file  ${mb(backup.bytes).toFixed(0)} MB (pg_dump custom format, compressed), sha256 ${backup.sha256.slice(0, 12)}…`);
  console.log('MB/s = database size / wall time of the CLI command');
  console.log(line('wharf db backup', backupS, `(server-side pg_dump ${(backup.durationMs / 1000).toFixed(1)} s; ${(mb(backup.bytes) / backupS).toFixed(1)} MB/s of dump written)`));
  console.log(line('wharf db restore --to copy', restoreS, `(provision a new server + pg_restore; copy: ${copyRows} rows, ${mb(copyBytes).toFixed(0)} MB)`));
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  progress('cleaning up');
  await cleanup();
}
