import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseSpec } from '../../src/core/database.js';
import { isWharfError } from '../../src/core/errors.js';
import { freePort } from '../../src/server/ports.js';
import { createRedisProvider } from '../../src/server/databases/redis/index.js';
import { findBinary, runTool, toolEnv } from '../../src/server/databases/tools.js';
import { startServer, type RunningServer } from '../../src/server/databases/mysql/test-server.js';
import { waitFor } from '../helpers/wait.js';

// The Redis provider against a real redis-server (Debian's redis-server package): prepare, run
// its serverCommand, connect through REDIS_URL, back up, wipe, restore, restart.
// Without redis-server the suite is skipped with the reason (a failure under CI=true: scripts/run-tests.mjs).

const provider = createRedisProvider();
const unavailable = await provider.check().then(
  () => null,
  (err: unknown) => (isWharfError(err) ? `${err.message}. ${err.hint ?? ''}` : String(err)),
);

describe('Redis provider', { skip: unavailable ?? false, timeout: 120_000 }, () => {
  let home: string;
  let spec: DatabaseSpec;
  let server: RunningServer | null = null;
  const cli = findBinary(['redis-cli']) ?? 'redis-cli';

  /** redis-cli -u $REDIS_URL <args>, as a service would connect. */
  const viaUrl = async (...args: string[]) => {
    const out = await runTool([cli, '-u', provider.variables(spec).REDIS_URL!, '--no-auth-warning', ...args], { cwd: home, env: toolEnv() });
    assert.equal(out.exitCode, 0, out.stderr);
    return out.stdout.trim();
  };

  const start = async () => {
    server = startServer(provider.serverCommand(spec));
    const running = server;
    await waitFor(
      'redis-server to accept the password',
      async () => {
        if (running.exited()) throw new Error(`redis-server exited: ${running.log()}`);
        await provider.bootstrap(spec);
        return true;
      },
      { timeoutMs: 20_000 },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${running.log()}`);
    });
  };

  before(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-redis-'));
    spec = {
      id: 'db_redis_test',
      engine: 'redis',
      name: 'cache',
      dataDir: path.join(home, 'db'),
      port: await freePort(),
      credentials: provider.newCredentials('cache'),
    };
    await provider.prepare(spec);
    await provider.prepare(spec); // idempotent
    await start();
  });

  after(async () => {
    await server?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('credentials, config file and variables', () => {
    assert.match(spec.credentials.REDIS_PASSWORD!, /^[a-zA-Z0-9]{32}$/);
    const conf = path.join(spec.dataDir, 'redis.conf');
    assert.equal(fs.statSync(conf).mode & 0o777, 0o600);
    const text = fs.readFileSync(conf, 'utf8');
    for (const line of ['bind 127.0.0.1', `port ${spec.port}`, 'appendonly yes', 'protected-mode yes', 'dbfilename dump.rdb', 'daemonize no']) {
      assert.ok(text.split('\n').includes(line), `redis.conf has ${line}`);
    }
    assert.ok(!/^unixsocket /m.test(text));
    const pw = spec.credentials.REDIS_PASSWORD!;
    assert.deepEqual(provider.variables(spec), {
      REDIS_URL: `redis://default:${pw}@127.0.0.1:${spec.port}`,
      REDIS_PUBLIC_URL: `redis://default:${pw}@127.0.0.1:${spec.port}`,
      REDISHOST: '127.0.0.1',
      REDISPORT: String(spec.port),
      REDISUSER: 'default',
      REDISPASSWORD: pw,
      REDIS_PASSWORD: pw,
    });
    assert.deepEqual(provider.migrationVariables(spec), {});
    assert.equal(provider.property(spec, 'connectionString'), provider.variables(spec).REDIS_URL);
    assert.equal(provider.property(spec, 'user'), 'default');
    assert.equal(provider.property(spec, 'password'), pw);
    assert.equal(provider.property(spec, 'port'), String(spec.port));
    assert.equal(provider.property(spec, 'nonsense'), null);
    const connect = provider.connectCommand(spec);
    assert.ok(!connect.argv.some((a) => a.includes(pw)), 'no password in argv');
    assert.equal(connect.env.REDISCLI_AUTH, pw);
  });

  test('a wrong password is refused', async () => {
    await assert.rejects(provider.bootstrap({ ...spec, credentials: { REDIS_PASSWORD: 'wrong' } }), /refused/);
  });

  test('write, back up, wipe, restore, restart', async () => {
    await viaUrl('SET', 'greeting', 'hello world');
    await viaUrl('HSET', 'user:1', 'name', 'Ada', 'lang', 'en');
    await viaUrl('RPUSH', 'queue', 'a', 'b', 'c');
    await viaUrl('SET', 'session', 'x', 'EX', '3600');
    await viaUrl('-n', '2', 'SET', 'other-db', '1');
    assert.deepEqual(await provider.inspect(spec), { db0: 4, db2: 1 });

    const file = path.join(home, 'backups', 'cache.rdb');
    const backup = await provider.backup(spec, file);
    assert.equal(backup.path, file);
    assert.equal(backup.format, 'rdb');
    assert.equal(backup.bytes, fs.statSync(file).size);
    assert.equal(backup.sha256, createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
    assert.ok(backup.durationMs >= 0);
    assert.equal(fs.readFileSync(file).subarray(0, 5).toString(), 'REDIS');

    await viaUrl('FLUSHALL');
    await viaUrl('SET', 'written-after-backup', 'gone after restore');
    assert.deepEqual(await provider.inspect(spec), { db0: 1 });

    await provider.restore(spec, file);
    assert.deepEqual(await provider.inspect(spec), { db0: 4, db2: 1 });
    assert.equal(await viaUrl('GET', 'greeting'), 'hello world');
    assert.equal(await viaUrl('HGET', 'user:1', 'name'), 'Ada');
    assert.equal(await viaUrl('LRANGE', 'queue', '0', '-1'), 'a\nb\nc');
    assert.ok(Number(await viaUrl('TTL', 'session')) > 3000, 'TTL kept');
    assert.equal(await viaUrl('EXISTS', 'written-after-backup'), '0');
    assert.equal(await viaUrl('-n', '2', 'GET', 'other-db'), '1');
    // A primary again: writes work, nothing of the scratch server is left.
    assert.equal(await viaUrl('SET', 'after-restore', 'yes'), 'OK');
    assert.match(await viaUrl('INFO', 'replication'), /role:master/);
    assert.deepEqual(
      fs.readdirSync(spec.dataDir).filter((f) => f.startsWith('restore-')),
      [],
    );

    // Restart: the restored data and the later write come back from the AOF.
    await server!.stop();
    await start();
    assert.deepEqual(await provider.inspect(spec), { db0: 5, db2: 1 });
    assert.equal(await viaUrl('GET', 'greeting'), 'hello world');
    assert.equal(await viaUrl('GET', 'after-restore'), 'yes');
  });

  test('a file that is not an RDB is refused and the live data is untouched', async () => {
    const before = await provider.inspect(spec);
    const bogus = path.join(home, 'bogus.rdb');
    fs.writeFileSync(bogus, 'not a snapshot');
    await assert.rejects(provider.restore(spec, bogus), /could not be loaded|timed out/);
    assert.deepEqual(await provider.inspect(spec), before);
    assert.equal(await viaUrl('SET', 'still-writable', '1'), 'OK');
  });

  test('check() passes', async () => {
    await provider.check();
  });
});
