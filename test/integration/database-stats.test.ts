import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseProvider, DatabaseSpec, DatabaseStats } from '../../src/core/database.js';
import { isWharfError } from '../../src/core/errors.js';
import { createMongoProvider } from '../../src/server/databases/mongo/index.js';
import { createMysqlProvider } from '../../src/server/databases/mysql/index.js';
import { startServer, type RunningServer } from '../../src/server/databases/mysql/test-server.js';
import { findBinary, runTool, toolEnv } from '../../src/server/databases/tools.js';
import { createPostgresProvider } from '../../src/server/databases/postgres/postgres-provider.js';
import { createRedisProvider } from '../../src/server/databases/redis/index.js';
import { freePort } from '../../src/server/ports.js';
import { waitFor } from '../helpers/wharf.js';

// Each provider's stats() against a real server: a client holding a connection is counted
// (Wharf's own probe is not), and the size grows once data is written. Without an engine's
// binaries its suite is skipped with the reason (under CI=true scripts/run-tests.mjs fails every
// skip but MongoDB's, which Debian's archive does not have).

const servers = new Set<RunningServer>();
const holders = new Set<ReturnType<typeof spawn>>();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-dbstats-'));
// When the suite runs as root the Postgres server runs as an unprivileged user that must get in.
fs.chmodSync(root, 0o755);

after(async () => {
  for (const h of holders) h.kill('SIGKILL');
  holders.clear();
  for (const s of servers) await s.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

function unavailable(provider: DatabaseProvider): Promise<string | false> {
  return provider.check().then(
    () => false as const,
    (err: unknown) => (isWharfError(err) ? `${err.message}. ${err.hint ?? ''}` : String(err)),
  );
}

async function newSpec(provider: DatabaseProvider, name: string): Promise<DatabaseSpec> {
  const spec: DatabaseSpec = { id: `db_${name}`, engine: provider.engine, name, dataDir: path.join(root, name), port: await freePort(), credentials: provider.newCredentials(name) };
  fs.mkdirSync(spec.dataDir, { recursive: true, mode: 0o700 });
  await provider.prepare(spec);
  const server = startServer(provider.serverCommand(spec));
  servers.add(server);
  await waitFor(
    async () => {
      if (server.exited()) throw new Error('exited');
      if (provider.ready && !(await provider.ready(spec))) return false;
      await provider.bootstrap(spec);
      return true;
    },
    { timeoutMs: 90_000, intervalMs: 200, what: () => `${provider.engine} to start (log: ${server.log()})` },
  );
  return spec;
}

/**
 * A client that connects and stays connected until released (its password in the environment):
 * an idle client (a server notices a client gone only between queries), ended on release.
 */
function hold(argv: string[], env: Record<string, string>): () => void {
  const child = spawn(argv[0]!, argv.slice(1), { env: toolEnv(env), stdio: ['pipe', 'ignore', 'ignore'] });
  holders.add(child);
  return () => {
    child.stdin!.end();
    child.kill('SIGTERM');
    holders.delete(child);
  };
}

async function run(argv: string[], env: Record<string, string>): Promise<string> {
  const out = await runTool(argv, { cwd: root, env: toolEnv(env), timeoutMs: 60_000 });
  assert.equal(out.exitCode, 0, out.stderr);
  return out.stdout;
}

/** The common story: nobody connected, a client connected (≥ 1), data written (size grows). */
async function story(provider: DatabaseProvider, spec: DatabaseSpec, client: { hold: () => () => void; write: () => Promise<void> }) {
  const stats = (): Promise<DatabaseStats> => provider.stats!(spec, 5_000);
  const first = await stats();
  assert.ok(Number.isInteger(first.connections) && first.connections >= 0, JSON.stringify(first));
  assert.ok(Number.isFinite(first.sizeBytes) && first.sizeBytes >= 0, JSON.stringify(first));

  const release = client.hold();
  let seen: DatabaseStats | null = null;
  await waitFor(async () => ((seen = await stats()).connections >= 1), { timeoutMs: 20_000, intervalMs: 100, what: () => `a connection to be counted (last ${JSON.stringify(seen)})` });
  release();
  await waitFor(async () => ((seen = await stats()).connections === first.connections), { timeoutMs: 20_000, intervalMs: 100, what: () => `the connection to go (last ${JSON.stringify(seen)})` });

  await client.write();
  await waitFor(async () => ((seen = await stats()).sizeBytes > first.sizeBytes + 500_000), {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: () => `the size to grow from ${first.sizeBytes} (last ${JSON.stringify(seen)})`,
  });
}

const postgres = createPostgresProvider();
describe('Postgres stats', { skip: await unavailable(postgres), timeout: 180_000 }, () => {
  test('pg_stat_activity connections to the app database and pg_database_size', async () => {
    const spec = await newSpec(postgres, 'pgstats');
    // The migration role: it may create tables (the app role may only use them).
    const url = new URL(postgres.migrationVariables(spec).DATABASE_MIGRATION_URL!);
    const psql = postgres.connectCommand(spec).argv[0]!;
    const args = ['-X', '-h', '127.0.0.1', '-p', url.port, '-U', decodeURIComponent(url.username), '-d', url.pathname.slice(1), '-v', 'ON_ERROR_STOP=1'];
    const env = { PGPASSWORD: decodeURIComponent(url.password) };
    await story(postgres, spec, {
      hold: () => hold([psql, ...args], env),
      write: async () => void (await run([psql, ...args, '-c', "CREATE TABLE filler AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 20000) g"], env)),
    });
  });
});

const redis = createRedisProvider();
describe('Redis stats', { skip: await unavailable(redis), timeout: 120_000 }, () => {
  test('INFO connected_clients (minus the probe) and used_memory', async () => {
    const spec = await newSpec(redis, 'redisstats');
    const cli = findBinary(['redis-cli']) ?? 'redis-cli';
    const args = ['-h', '127.0.0.1', '-p', String(spec.port), '--no-auth-warning'];
    const env = { REDISCLI_AUTH: spec.credentials.REDIS_PASSWORD! };
    await story(redis, spec, {
      hold: () => hold([cli, ...args, 'BLPOP', 'never-pushed', '0'], env),
      write: async () => void (await run([cli, ...args, 'EVAL', "for i = 1, 20000 do redis.call('SET', 'k' .. i, string.rep('x', 200)) end", '0'], env)),
    });
  });
});

const mysql = createMysqlProvider();
describe('MySQL stats', { skip: await unavailable(mysql), timeout: 180_000 }, () => {
  test('Threads_connected (minus the probe) and the data + index length of the app database', async () => {
    const spec = await newSpec(mysql, 'mystats');
    const v = mysql.variables(spec);
    const client = findBinary(['mariadb', 'mysql']) ?? 'mariadb';
    const args = ['--no-defaults', '-h', '127.0.0.1', '-P', v.MYSQLPORT!, '-u', v.MYSQLUSER!, '-D', v.MYSQLDATABASE!];
    const env = { MYSQL_PWD: v.MYSQLPASSWORD! };
    await story(mysql, spec, {
      hold: () => hold([client, ...args], env),
      write: async () => {
        const rows = Array.from({ length: 200 }, (_, i) => `(${i}, REPEAT('x', 200))`).join(',');
        const inserts = Array.from({ length: 50 }, (_, batch) => `INSERT INTO filler (id, pad) SELECT id + ${batch * 1000} * 10, pad FROM (SELECT id, pad FROM seed) s;`).join('\n');
        await run([client, ...args, '-e', `CREATE TABLE seed (id INT, pad TEXT); INSERT INTO seed VALUES ${rows}; CREATE TABLE filler (id INT PRIMARY KEY, pad TEXT) ENGINE=InnoDB; ${inserts}`], env);
      },
    });
  });
});

const mongo = createMongoProvider();
describe('Mongo stats', { skip: await unavailable(mongo), timeout: 180_000 }, () => {
  test('serverStatus connections (minus the probe) and dbStats data + index size of the user databases', async () => {
    const spec = await newSpec(mongo, 'mongostats');
    const mongosh = findBinary(['mongosh']) ?? 'mongosh';
    const url = mongo.variables(spec).MONGO_URL!;
    await story(mongo, spec, {
      // The sleep is the client's: the server sees an idle connection, closed when mongosh is stopped.
      hold: () => hold([mongosh, url, '--quiet', '--norc', '--eval', 'sleep(120000)'], {}),
      write: async () =>
        void (await run([mongosh, url, '--quiet', '--norc', '--eval', "db.getSiblingDB('filler').items.insertMany(Array.from({ length: 20000 }, (_, i) => ({ i, pad: 'x'.repeat(200) })))"], {})),
    });
  });
});
