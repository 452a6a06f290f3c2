import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import {
  BASE_IMAGES,
  BUILD_SCRIPT,
  dockerEngine,
  dockerSkip,
  ensureBaseImages,
  hostCaBundle,
  runOnce,
  sweepTestResources,
} from '../helpers/docker.js';

// The local base images (scripts/docker/build-base-images.sh) do what the Docker suites rely on:
// node and npm, a Python venv, the database servers' binaries, each as a non-root user, and the
// host's CAs in the trust store. Every container is removed; the suite label sweeps any leftover.

const SUITE = { 'wharf.test.suite': 'docker-base-images' };
const skip = await dockerSkip();

describe('local base images', { skip, timeout: 25 * 60_000 }, () => {
  let docker: Docker;
  const run = (image: string, cmd: string[], user?: string) => runOnce(docker, image, cmd, { user, labels: SUITE });

  before(async () => {
    docker = (await dockerEngine()) as Docker;
    await ensureBaseImages();
  });

  after(async () => {
    if (!docker) return;
    const left = await sweepTestResources(docker, SUITE);
    assert.deepEqual(left, { containers: 0, networks: 0, volumes: 0 }, 'the suite left resources behind');
  });

  test('the script builds the images the helper names', async () => {
    const { stdout } = await promisify(execFile)(BUILD_SCRIPT, ['--list']);
    const listed = Object.fromEntries(stdout.trim().split('\n').map((line) => line.split(' ')));
    assert.deepEqual(listed, BASE_IMAGES);
  });

  test('debian trusts the host CAs: each host CA file is in the image, byte for byte', async (t) => {
    const cas = hostCaBundle();
    if (cas.length === 0) return t.diagnostic('the host has no extra CA files; nothing to compare');
    for (const file of cas) {
      const r = await run(BASE_IMAGES.debian, ['cat', `/usr/local/share/ca-certificates/${path.basename(file)}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, readFileSync(file, 'utf8'), `${file} differs in the image`);
    }
    const bundle = await run(BASE_IMAGES.debian, ['grep', '-c', 'BEGIN CERTIFICATE', '/etc/ssl/certs/ca-certificates.crt']);
    assert.equal(bundle.code, 0, bundle.stderr);
    assert.ok(Number(bundle.stdout) > cas.length, `the system bundle holds ${bundle.stdout.trim()} certificates`);
  });

  test('node runs node -e and npm --version as the non-root node user, with the system CAs', async () => {
    const r = await run(
      BASE_IMAGES.node,
      ['sh', '-c', 'id -u && node -e "console.log(process.version, process.env.NODE_EXTRA_CA_CERTS)" && npm --version'],
      'node',
    );
    assert.equal(r.code, 0, r.stderr);
    const [uid, nodeLine, npmVersion] = r.stdout.trim().split('\n');
    assert.equal(uid, '1000');
    assert.match(nodeLine, /^v20\.\d+\.\d+ \/etc\/ssl\/certs\/ca-certificates\.crt$/);
    assert.match(npmVersion, /^\d+\.\d+\.\d+$/);
  });

  test('python creates a venv and runs its interpreter as nobody', async () => {
    const r = await run(
      BASE_IMAGES.python,
      ['sh', '-c', 'python3 -m venv /tmp/venv && /tmp/venv/bin/python -c "import sys; print(sys.prefix)" && /tmp/venv/bin/pip --version && python --version'],
      'nobody',
    );
    assert.equal(r.code, 0, r.stderr);
    const [prefix, pip, python] = r.stdout.trim().split('\n');
    assert.equal(prefix, '/tmp/venv');
    assert.match(pip, /^pip \d+/);
    assert.match(python, /^Python 3\.11\./);
  });

  test('postgres runs as postgres, with initdb on PATH, and initdb makes a cluster', async () => {
    const r = await run(BASE_IMAGES.postgres, [
      'sh',
      '-c',
      'id -un && command -v initdb && initdb -D /tmp/pg -A trust >/dev/null && postgres --version && echo "$PGDATA"',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [user, initdb, version, pgdata] = r.stdout.trim().split('\n');
    assert.equal(user, 'postgres');
    assert.equal(initdb, '/usr/lib/postgresql/15/bin/initdb');
    assert.match(version, /^postgres \(PostgreSQL\) 15\./);
    assert.equal(pgdata, '/var/lib/postgresql/data');
  });

  test('redis and mariadb run their servers as their own users', async () => {
    const redis = await run(BASE_IMAGES.redis, ['sh', '-c', 'id -un && redis-server --version']);
    assert.equal(redis.code, 0, redis.stderr);
    assert.match(redis.stdout, /^redis\nRedis server v=7\./);
    const mariadb = await run(BASE_IMAGES.mariadb, ['sh', '-c', 'id -un && mariadbd --version && command -v mariadb-install-db']);
    assert.equal(mariadb.code, 0, mariadb.stderr);
    assert.match(mariadb.stdout, /^mysql\n.*Ver 10\.11\./);
  });
});
