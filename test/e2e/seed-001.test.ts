import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { ServiceStatusView } from '../../src/core/api.js';
import { copyExample, httpRequest, parseJson, startWharf, succeeded, waitFor, type Wharf } from '../helpers/wharf.js';

// Seed 001 (Finance Hub): examples/finance-hub — a web API and a queue worker, Postgres and
// Redis, wired by references in wharf.toml — from `wharf init` + `wharf up` to a transaction
// that went POST → Redis queue → worker → Postgres → GET (through the Redis cache).
// `wharf up` runs `npm ci` for both services: pg and redis come from the npm registry.

/** web's host, from the URL `wharf status` gives (the project is named after the copied folder). */
let HOST = '';
let wharf: Wharf;
let dir: string;

interface Transaction {
  id: string;
  description: string;
  amount_cents: number;
  created_at: string;
}

const api = (method: string, urlPath: string, body?: unknown) =>
  httpRequest(`http://127.0.0.1:${wharf.routerPort}${urlPath}`, { host: HOST, method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });

function psqlHere(url: string, sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`psql: ${stderr || error.message}`)) : resolve(stdout.trim()),
    );
  });
}

before(async () => {
  wharf = await startWharf();
  dir = await copyExample('finance-hub', wharf.home);
});
after(async () => {
  await wharf?.cleanup();
});

test('wharf up provisions db and cache, runs the migration, deploys web and worker', async () => {
  const init = await wharf.cli(['init'], { cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  const up = await wharf.cli(['up'], { cwd: dir, timeoutMs: 600_000 });
  assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);

  const dbs = parseJson<Array<{ service: string; engine: string; status: string }>>(await wharf.cli(['db', 'list', '--json'], { cwd: dir }));
  assert.deepEqual(dbs.map((d) => [d.service, d.engine, d.status]).sort(), [
    ['cache', 'redis', 'READY'],
    ['db', 'postgres', 'READY'],
  ]);

  const status = parseJson<ServiceStatusView[]>(await wharf.cli(['status', '--json'], { cwd: dir }));
  for (const name of ['web', 'worker']) {
    const service = status.find((s) => s.service === name);
    assert.equal(service?.activeDeployment?.status, 'ACTIVE', `${name}: ${JSON.stringify(service)}`);
    assert.ok(service.replicas.length >= 1, `${name} has a replica`);
    if (name === 'web') HOST = new URL(service.url).hostname;
  }

  // The migration ran, as the migration role, after a backup of db.
  const migrationUser = new URL(succeeded(await wharf.cli(['db', 'url', 'db', '--migration'], { cwd: dir })).stdout.trim()).username;
  const appUrl = succeeded(await wharf.cli(['db', 'url', 'db'], { cwd: dir })).stdout.trim();
  assert.equal(await psqlHere(appUrl, "SELECT tableowner FROM pg_tables WHERE tablename = 'transactions'"), migrationUser);
  const backups = parseJson<Array<{ kind: string; status: string }>>(await wharf.cli(['db', 'list-backups', 'db', '--json'], { cwd: dir }));
  assert.ok(backups.some((b) => b.kind === 'pre-deploy' && b.status === 'SUCCEEDED'), 'a backup before the migration');
  const build = await wharf.cli(['logs', '--build', '-s', 'web'], { cwd: dir });
  assert.equal(build.code, 0, build.stdout + build.stderr);
  assert.match(build.stdout, /migrations applied: 2/, build.stdout);

  const health = await api('GET', '/api/health');
  assert.equal(health.status, 200, health.body);
  assert.deepEqual(JSON.parse(health.body).services, { database: 'healthy', redis: 'healthy' });
});

test('a POSTed transaction goes through the Redis queue and the worker into Postgres, and GET returns it (cached)', async () => {
  const bad = await api('POST', '/api/transactions', { description: '', amount_cents: 1 });
  assert.equal(bad.status, 400);

  const posted = await api('POST', '/api/transactions', { description: 'Coffee beans', amount_cents: -1850 });
  assert.equal(posted.status, 202, posted.body);
  const { id, status } = JSON.parse(posted.body) as { id: string; status: string };
  assert.equal(status, 'queued');

  let list: Transaction[] = [];
  await waitFor(
    async () => {
      const res = await api('GET', '/api/transactions');
      list = JSON.parse(res.body) as Transaction[];
      return res.status === 200 && list.some((t) => t.id === id);
    },
    { timeoutMs: 30_000, intervalMs: 200, what: () => `transaction ${id} in GET /api/transactions (last: ${JSON.stringify(list)})` },
  );
  const found = list.find((t) => t.id === id)!;
  assert.equal(found.description, 'Coffee beans');
  assert.equal(found.amount_cents, -1850);

  // The worker wrote it (the API only queues), and the second read comes from Redis.
  const appUrl = succeeded(await wharf.cli(['db', 'url', 'db'], { cwd: dir })).stdout.trim();
  assert.equal(await psqlHere(appUrl, `SELECT description FROM transactions WHERE id = '${id}'`), 'Coffee beans');
  const worker = await wharf.cli(['logs', '-s', 'worker'], { cwd: dir });
  assert.equal(worker.code, 0, worker.stdout + worker.stderr);
  assert.match(worker.stdout, new RegExp(`stored transaction ${id}`));
  const again = await api('GET', '/api/transactions');
  assert.equal(again.headers['x-cache'], 'HIT');
  assert.deepEqual(JSON.parse(again.body), list);

  // A second transaction invalidates the cached list.
  const second = JSON.parse((await api('POST', '/api/transactions', { description: 'Rent', amount_cents: -120000 })).body) as { id: string };
  await waitFor(async () => (JSON.parse((await api('GET', '/api/transactions')).body) as Transaction[]).some((t) => t.id === second.id), {
    timeoutMs: 30_000,
    intervalMs: 200,
    what: 'the second transaction',
  });
});
