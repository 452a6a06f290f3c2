import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseSpec } from '../../src/core/database.js';
import { isWharfError } from '../../src/core/errors.js';
import { capture } from '../../src/server/databases/postgres/binaries.js';
import { createPostgresProvider, type PostgresProvider } from '../../src/server/databases/postgres/postgres-provider.js';
import { freePort } from '../../src/server/ports.js';
import { waitFor } from '../helpers/wharf.js';

// Real Postgres servers from the provider's own commands: two roles, backup → drop → restore,
// exact row counts, point-in-time recovery into a new database, restart persistence.
// Without the binaries the test is skipped with the reason (a failure under CI=true: scripts/run-tests.mjs).

interface Server {
  child: ChildProcess;
  log: string[];
}

const running = new Set<Server>();

async function start(provider: PostgresProvider, spec: DatabaseSpec): Promise<Server> {
  const cmd = provider.serverCommand(spec);
  const [file, ...args] = cmd.argv;
  assert.ok(file);
  const child = spawn(file, args, { cwd: cmd.cwd, env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const server: Server = { child, log: [] };
  running.add(server);
  child.stdout?.on('data', (d: Buffer) => server.log.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => server.log.push(d.toString()));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error('exited');
      return provider.ready(spec);
    },
    { timeoutMs: 60_000, intervalMs: 150, what: () => `postgres on ${spec.port} (exit ${child.exitCode}; log: ${server.log.join('')})` },
  );
  assert.equal(child.exitCode, null, `postgres exited: ${server.log.join('')}`);
  return server;
}

async function stop(server: Server): Promise<void> {
  running.delete(server);
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM'); // smart shutdown
  await exited;
}

/** psql as the role behind a URL (the password goes in PGPASSWORD, never in argv). */
async function psqlUrl(psqlBin: string, url: string, sql: string) {
  const u = new URL(url);
  assert.equal(u.protocol, 'postgresql:');
  const argv = [psqlBin, '-X', '-v', 'ON_ERROR_STOP=1', '-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), '-d', u.pathname.slice(1), '-At', '-c', sql];
  return capture(argv, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSWORD: decodeURIComponent(u.password) }, timeoutMs: 30_000 });
}

async function ok(psqlBin: string, url: string, sql: string): Promise<string> {
  const r = await psqlUrl(psqlBin, url, sql);
  assert.equal(r.exitCode, 0, `${sql}: ${r.stderr}`);
  return r.stdout.trim();
}

async function usable(t: TestContext, provider: PostgresProvider): Promise<boolean> {
  try {
    await provider.check();
    return true;
  } catch (err) {
    if (!isWharfError(err) || err.code !== 'RUNTIME_ERROR') throw err;
    const reason = `Postgres binaries unavailable: ${err.message} (${err.hint ?? ''})`;
    t.skip(reason);
    return false;
  }
}

test('postgres provider: roles, backup/restore, inspect, point-in-time recovery, restart', { timeout: 300_000 }, async (t) => {
  const provider = createPostgresProvider();
  if (!(await usable(t, provider))) return;

  const root = await mkdtemp(path.join(os.tmpdir(), 'wharf-pg-'));
  // When the suite runs as root the server runs as an unprivileged user that must get in.
  await chmod(root, 0o755);
  t.after(async () => {
    for (const s of [...running]) await stop(s);
    await rm(root, { recursive: true, force: true });
  });

  const credentials = provider.newCredentials('My-DB');
  assert.equal(credentials.database, 'my_db');
  assert.match(credentials.appPassword ?? '', /^[A-Za-z0-9]{32}$/);
  const spec: DatabaseSpec = { id: 'pg_main', engine: 'postgres', name: 'db', dataDir: path.join(root, 'main'), port: await freePort(), credentials };

  await provider.prepare(spec);
  await provider.prepare(spec); // a no-op on an initialised cluster
  let server = await start(provider, spec);
  await provider.bootstrap(spec);
  await provider.bootstrap(spec); // idempotent

  const psqlBin = provider.connectCommand(spec).argv[0] ?? 'psql';
  const vars = provider.variables(spec);
  const appUrl = vars.DATABASE_URL ?? '';
  const migUrl = provider.migrationVariables(spec).DATABASE_MIGRATION_URL ?? '';

  await t.test('variables under Railway names', () => {
    assert.equal(appUrl, `postgresql://app:${credentials.appPassword}@127.0.0.1:${spec.port}/my_db`);
    assert.equal(vars.DATABASE_PUBLIC_URL, appUrl);
    assert.deepEqual(
      { PGHOST: vars.PGHOST, PGPORT: vars.PGPORT, PGUSER: vars.PGUSER, PGDATABASE: vars.PGDATABASE, POSTGRES_DB: vars.POSTGRES_DB, POSTGRES_USER: vars.POSTGRES_USER },
      { PGHOST: '127.0.0.1', PGPORT: String(spec.port), PGUSER: 'app', PGDATABASE: 'my_db', POSTGRES_DB: 'my_db', POSTGRES_USER: 'app' },
    );
    assert.equal(vars.PGPASSWORD, credentials.appPassword);
    assert.equal(vars.POSTGRES_PASSWORD, credentials.appPassword);
    assert.equal(migUrl, `postgresql://migrator:${credentials.migrationPassword}@127.0.0.1:${spec.port}/my_db`);
    assert.equal(Object.values(vars).some((v) => v.includes(credentials.superuserPassword ?? '-')), false);
    assert.equal(provider.property(spec, 'connectionString'), appUrl);
    assert.equal(provider.property(spec, 'database'), 'my_db');
    assert.equal(provider.property(spec, 'port'), String(spec.port));
    assert.equal(provider.property(spec, 'nope'), null);
    const connect = provider.connectCommand(spec);
    assert.equal(connect.argv.join(' ').includes(connect.env.PGPASSWORD ?? '-'), false);
  });

  await t.test('the app role cannot create tables; the migration role can, and the app role uses them', async () => {
    const denied = await psqlUrl(psqlBin, appUrl, 'CREATE TABLE sneaky (id int)');
    assert.notEqual(denied.exitCode, 0);
    assert.match(denied.stderr, /permission denied for schema public/);
    await ok(psqlBin, migUrl, 'CREATE TABLE items (id serial PRIMARY KEY, note text NOT NULL)');
    await ok(psqlBin, appUrl, "INSERT INTO items (note) VALUES ('one'), ('two'), ('three')");
    assert.equal(await ok(psqlBin, appUrl, 'SELECT count(*) FROM items'), '3');
    await ok(psqlBin, appUrl, "UPDATE items SET note = 'uno' WHERE id = 1");
    const drop = await psqlUrl(psqlBin, appUrl, 'DROP TABLE items');
    assert.notEqual(drop.exitCode, 0, 'the app role must not drop tables');
  });

  await t.test('inspect counts rows exactly', async () => {
    assert.deepEqual(await provider.inspect(spec), { 'public.items': 3 });
  });

  await t.test('backup → drop table → restore → rows back, usable by the app role', async () => {
    const result = await provider.backup(spec, path.join(root, 'backups', 'nested', 'one.dump'));
    assert.equal(result.format, 'pg_dump custom');
    assert.ok(result.bytes > 0);
    assert.match(result.sha256, /^[0-9a-f]{64}$/);
    assert.ok(existsSync(result.path));
    await ok(psqlBin, migUrl, 'DROP TABLE items');
    assert.deepEqual(await provider.inspect(spec), {});
    await provider.restore(spec, result.path);
    assert.deepEqual(await provider.inspect(spec), { 'public.items': 3 });
    assert.equal(await ok(psqlBin, appUrl, 'SELECT note FROM items ORDER BY id'), 'uno\ntwo\nthree');
    await ok(psqlBin, appUrl, "INSERT INTO items (note) VALUES ('four')"); // sequence usable too
    assert.equal(await ok(psqlBin, appUrl, 'SELECT max(id) FROM items'), '4');
    // Restoring over an intact database replaces the contents.
    await provider.restore(spec, result.path);
    assert.deepEqual(await provider.inspect(spec), { 'public.items': 3 });
  });

  await t.test('point-in-time recovery into a new database returns exactly the first write', async () => {
    const base = await provider.pitr!.baseBackup(spec, path.join(root, 'base', 'b1'));
    assert.equal(base.format, 'pg_basebackup tar.gz');
    assert.ok(base.bytes > 0);
    assert.match(base.sha256, /^[0-9a-f]{64}$/);
    await ok(psqlBin, migUrl, 'CREATE TABLE events (name text NOT NULL)');
    await ok(psqlBin, appUrl, "INSERT INTO events VALUES ('A')");
    const between = new Date();
    const after = between.getTime() + 1100;
    await waitFor(() => Date.now() > after, { timeoutMs: 5_000, intervalMs: 50, what: 'the clock to pass the noted time' });
    await ok(psqlBin, appUrl, "INSERT INTO events VALUES ('B')");
    await provider.archiveNow(spec);

    const target: DatabaseSpec = { ...spec, id: 'pg_restored', name: 'db-restored', dataDir: path.join(root, 'restored'), port: await freePort() };
    await assert.rejects(
      provider.pitr!.prepareRecovery(spec, base.path, { ...target, credentials: provider.newCredentials('x') }, between),
      /must have the credentials/,
    );
    await provider.pitr!.prepareRecovery(spec, base.path, target, between);
    await provider.prepare(target); // what the control plane does before any start: must not disturb the recovery
    const restored = await start(provider, target);
    await provider.bootstrap(target);
    assert.equal(existsSync(path.join(target.dataDir, 'pgdata', 'wharf-recovery.conf')), false);
    const targetUrl = provider.variables(target).DATABASE_URL ?? '';
    assert.equal(await ok(psqlBin, targetUrl, 'SELECT string_agg(name, \',\') FROM events'), 'A');
    assert.deepEqual(await provider.inspect(target), { 'public.events': 1, 'public.items': 3 });
    // It is read-write, and the source is untouched.
    await ok(psqlBin, targetUrl, "INSERT INTO events VALUES ('C')");
    assert.equal(await ok(psqlBin, appUrl, 'SELECT string_agg(name, \',\' ORDER BY name) FROM events'), 'A,B');
    await stop(restored);

    // Pruning: a newer base backup makes older segments unnecessary.
    const base2 = await provider.pitr!.baseBackup(spec, path.join(root, 'base', 'b2'));
    await provider.archiveNow(spec);
    const archive = provider.pitr!.archiveDir(spec);
    const before = (await readdir(archive)).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort();
    await provider.pitr!.pruneArchive(spec, base2.path);
    const after2 = (await readdir(archive)).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort();
    assert.ok(after2.length > 0 && after2.length < before.length, `pruned ${before.join(',')} → ${after2.join(',')}`);
    assert.deepEqual(after2, before.slice(before.length - after2.length), 'only the oldest segments go');
  });

  await t.test('data survives a restart', async () => {
    await stop(server);
    server = await start(provider, spec);
    assert.deepEqual(await provider.inspect(spec), { 'public.events': 2, 'public.items': 3 });
    await stop(server);
  });
});
