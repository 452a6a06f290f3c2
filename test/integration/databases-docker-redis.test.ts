import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRedisProvider } from '../../src/server/databases/redis/index.js';
import { findBinary, runTool, toolEnv } from '../../src/server/databases/tools.js';
import { engineMissing, imageMissing, lab, LOCAL_IMAGES, tools, type Lab } from './databases-docker-helpers.js';

// Redis on the docker runtime, on a real engine: a container of wharf-local/redis:7 (redis:7
// for users) with its data in a named volume; REDIS_URL by name on the network, the public URL
// on 127.0.0.1; backups with the host's redis-cli; a restore through replication from a scratch
// container in the live one's network namespace.

const skip = (await engineMissing()) ?? (await imageMissing('redis'));
const provider = createRedisProvider({ docker: tools });
const cli = findBinary(['redis-cli']) ?? 'redis-cli';

describe('Redis on docker', { skip: skip ?? false, timeout: 300_000 }, () => {
  let l: Lab;
  before(async () => {
    l = await lab();
  });
  after(async () => {
    await l?.cleanup();
  });

  test('provision, reach, survive a new container, back up and restore in place', async () => {
    const spec = await l.spec('redis', 'cache', provider);
    await l.serve(provider, spec);
    const vars = provider.variables(spec);
    assert.equal(vars.REDISHOST, 'cache');
    assert.equal(vars.REDISPORT, '6379');
    const host = async (...args: string[]) => {
      const out = await runTool([cli, '-u', vars.REDIS_PUBLIC_URL!, '--no-auth-warning', ...args], { cwd: l.home, env: toolEnv() });
      assert.equal(out.exitCode, 0, out.stderr);
      return out.stdout.trim();
    };
    assert.equal(await host('SET', 'greeting', 'hello'), 'OK');
    assert.equal(await host('RPUSH', 'list', 'a', 'b', 'c'), '3');

    const fromApp = await l.onNetwork(LOCAL_IMAGES.redis, ['sh', '-c', 'redis-cli -u "$REDIS_URL" --no-auth-warning GET greeting'], { REDIS_URL: vars.REDIS_URL! });
    assert.equal(fromApp.exitCode, 0, fromApp.output);
    assert.equal(fromApp.output.trim(), 'hello');
    // Without the password the server refuses (protected by requirepass, also on the network).
    const anonymous = await l.onNetwork(LOCAL_IMAGES.redis, ['redis-cli', '-h', 'cache', 'GET', 'greeting']);
    assert.match(anonymous.output, /NOAUTH/);

    await l.removeServer(spec);
    await l.serve(provider, spec);
    assert.equal(await host('GET', 'greeting'), 'hello');

    const file = path.join(l.home, 'backup.rdb');
    const backup = await provider.backup(spec, file);
    assert.ok(backup.bytes > 0);
    await host('SET', 'greeting', 'changed');
    await host('SET', 'extra', 'gone after the restore');
    await provider.restore(spec, file);
    assert.equal(await host('GET', 'greeting'), 'hello');
    assert.equal(await host('EXISTS', 'extra'), '0');
    assert.deepEqual(await provider.inspect(spec), { db0: 2 });
    // Still a primary that takes writes, and the restore survives a new container (AOF rewritten).
    assert.equal(await host('SET', 'after', 'restore'), 'OK');
    await l.removeServer(spec);
    await l.serve(provider, spec);
    assert.equal(await host('GET', 'greeting'), 'hello');
    assert.equal(await host('GET', 'after'), 'restore');
  });
});
