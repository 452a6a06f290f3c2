import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { isWharfError } from '../../src/core/errors.js';
import type { RemoteCopyView } from '../../src/core/backup-remote.js';
import { createRedisProvider } from '../../src/server/databases/redis/index.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { httpRequest, parseJson, REPO, startWharf, waitFor, type CliResult, type Wharf } from '../helpers/wharf.js';

// Off-site copies of backups against a real S3-compatible server (s3rver on 127.0.0.1) and a
// real Wharf with a real Redis: configure the bucket (secret from stdin), back up, find the same
// bytes in the bucket, restore after the local file is gone, a bucket that is down (failed, then
// copied on a later retry), a corrupted copy refused, retention deleting copies.

const unavailable = await createRedisProvider()
  .check()
  .then(
    () => null,
    (err: unknown) => (isWharfError(err) ? err.message : String(err)),
  );

interface BackupView {
  id: string;
  kind: string;
  status: string;
  bytes: number;
  sha256: string;
  remote: RemoteCopyView | null;
}

describe('off-site backups', { skip: unavailable ?? false, timeout: 300_000 }, () => {
  let wharf: Wharf;
  let s3: S3TestServer;
  let dir: string;
  const everything: string[] = [];

  const run = async (args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliResult> => {
    const result = opts.stdin === undefined ? await wharf.cli(args, { cwd: dir, ...(opts.env ? { env: opts.env } : {}) }) : await cliWithStdin(args, opts.stdin);
    everything.push(result.stdout, result.stderr);
    return result;
  };
  const ok = async (args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}) => {
    const r = await run(args, opts);
    assert.equal(r.code, 0, `wharf ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const okJson = async <T>(args: string[]) => parseJson<T>(await ok([...args, '--json']));
  const backups = () => okJson<BackupView[]>(['db', 'list-backups', 'cache']);
  const backupOf = async (id: string) => (await backups()).find((b) => b.id === id);

  /** The real CLI with `input` on its stdin. */
  function cliWithStdin(args: string[], input: string): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(REPO, 'bin/wharf.js'), ...args], { cwd: dir, env: wharf.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
      child.stdin.end(input);
    });
  }

  async function redis(...args: string[]): Promise<string> {
    const url = (await ok(['db', 'url', 'cache'])).stdout.trim();
    return new Promise((resolve, reject) =>
      execFile('redis-cli', ['-u', url, '--no-auth-warning', ...args], { timeout: 30_000 }, (error, stdout, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve(stdout.trim()))),
    );
  }

  async function localFile(id: string): Promise<string> {
    const root = path.join(wharf.home, 'backups');
    const found = (await readdir(root, { recursive: true })).find((f) => path.basename(f).startsWith(`${id}.`));
    assert.ok(found, `the file of ${id} under ${root}`);
    return path.join(root, found);
  }

  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  async function waitForRemote(id: string, status: RemoteCopyView['status'], what = `${id} to be ${status} off-site`): Promise<BackupView> {
    let last: BackupView | undefined;
    await waitFor(
      async () => {
        last = await backupOf(id);
        return last?.remote?.status === status;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: () => `${what} (last: ${JSON.stringify(last?.remote)})` },
    );
    return last!;
  }

  before(async () => {
    s3 = await startS3Server();
    wharf = await startWharf({ WHARF_BACKUP_UPLOAD_RETRY_MS: '300' });
    dir = path.join(wharf.home, 'offsite-app');
    await mkdir(dir);
    await ok(['init', '--name', 'offsite']);
    await ok(['add', 'redis', '--name', 'cache']);
  });
  after(async () => {
    await wharf?.cleanup();
    await s3?.cleanup();
  });

  test('bad targets are refused at the boundary with a hint, and wrong keys before anything is stored', async () => {
    const base = ['db', 'backups', 'remote', 'set', '--bucket', s3.bucket, '--access-key-id', s3.accessKeyId, '--secret-access-key-stdin'];
    const ftp = await run([...base, '--endpoint', 'ftp://127.0.0.1:21'], { stdin: s3.secretAccessKey });
    assert.equal(ftp.code, 1);
    assert.match(ftp.stderr, /endpoint: the endpoint must be an http:\/\/ or https:\/\/ URL/);
    assert.match(ftp.stderr, /hint: /);
    const bucket = await run(['db', 'backups', 'remote', 'set', '--endpoint', s3.endpoint, '--bucket', 'Not_A_Bucket', '--access-key-id', s3.accessKeyId, '--secret-access-key-stdin'], { stdin: s3.secretAccessKey });
    assert.equal(bucket.code, 1);
    assert.match(bucket.stderr, /bucket: a bucket name uses lowercase letters/);
    const withKeys = await run([...base, '--endpoint', `http://${s3.accessKeyId}:${s3.secretAccessKey}@127.0.0.1:1`], { stdin: s3.secretAccessKey });
    assert.equal(withKeys.code, 1);
    assert.match(withKeys.stderr, /must not carry credentials/);
    const noSecret = await run(['db', 'backups', 'remote', 'set', '--endpoint', s3.endpoint, '--bucket', s3.bucket, '--access-key-id', s3.accessKeyId]);
    assert.equal(noSecret.code, 1);
    assert.match(noSecret.stderr, /no secret access key[\s\S]*hint: .*--secret-access-key-stdin/);

    // s3rver checks the key id but not SigV4 signatures: an unknown key id plays wrong keys.
    const wrong = await run(['db', 'backups', 'remote', 'set', '--endpoint', s3.endpoint, '--bucket', s3.bucket, '--access-key-id', 'WHARFNOSUCHKEY', '--secret-access-key-stdin'], { stdin: s3.secretAccessKey });
    assert.equal(wrong.code, 1, wrong.stdout);
    assert.match(wrong.stderr, /bucket wharf-backups at http:\/\/127\.0\.0\.1:\d+ cannot be used: access denied: wrong keys, or keys without rights on this bucket \(HTTP 403\)/);
    assert.match(wrong.stderr, /hint: Check the endpoint, region, bucket and keys/);
    const missing = await run(['db', 'backups', 'remote', 'set', '--endpoint', s3.endpoint, '--bucket', 'no-such-bucket', '--access-key-id', s3.accessKeyId, '--secret-access-key-stdin'], { stdin: s3.secretAccessKey });
    assert.equal(missing.code, 1, missing.stdout);
    assert.match(missing.stderr, /bucket no-such-bucket .* cannot be used: no such bucket \(HTTP 404\)/);
    assert.deepEqual(await okJson<unknown[]>(['db', 'backups', 'remote', 'show']), [], 'nothing stored');
    const doc = JSON.parse((await httpRequest(`http://127.0.0.1:${wharf.apiPort}/v1/openapi.json`)).body) as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    assert.ok(doc.paths['/v1/projects/{project}/backup-remote']?.put?.requestBody, 'PUT backup-remote is in the OpenAPI document with its schema');
    assert.ok(doc.paths['/v1/projects/{project}/backups/{backup}/upload']?.post);
  });

  test('set (secret from stdin), show without the secret; a backup is copied with the same bytes and sha256', async () => {
    const set = await ok(['db', 'backups', 'remote', 'set', '--endpoint', s3.endpoint, '--bucket', s3.bucket, '--prefix', 'wharf/', '--access-key-id', s3.accessKeyId, '--secret-access-key-stdin'], { stdin: `${s3.secretAccessKey}\n` });
    assert.match(set.stdout, /copied to s3:\/\/wharf-backups\/wharf\/ at http:\/\/127\.0\.0\.1:\d+/);
    const shown = await okJson<Array<Record<string, unknown>>>(['db', 'backups', 'remote', 'show']);
    assert.equal(shown.length, 1);
    assert.deepEqual({ ...shown[0], updatedAt: null }, { database: null, endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'wharf', pathStyle: true, accessKeyId: `${s3.accessKeyId.slice(0, 4)}…${s3.accessKeyId.slice(-4)}`, updatedAt: null });
    assert.match((await ok(['db', 'backups', 'remote', 'show'])).stdout, /\(project\)\s+http:\/\/127\.0\.0\.1:\d+\s+wharf-backups\s+wharf\s+us-east-1\s+path/);

    assert.equal(await redis('SET', 'greeting', 'hello from the bucket'), 'OK');
    assert.equal(await redis('RPUSH', 'queue', 'a', 'b', 'c'), '3');
    const backup = await okJson<BackupView>(['db', 'backup', 'cache']);
    assert.equal(backup.status, 'SUCCEEDED');
    assert.ok(backup.remote, 'the backup has an off-site copy under way');
    const copied = await waitForRemote(backup.id, 'uploaded');
    assert.equal(copied.remote!.key, `wharf/offsite/production/cache/${backup.id}.rdb`);
    assert.equal(copied.remote!.bucket, s3.bucket);
    assert.equal(copied.remote!.error, null);
    assert.ok(copied.remote!.uploadedAt);

    const objects = await s3.objects();
    const bytes = objects.get(copied.remote!.key!);
    assert.ok(bytes, `${copied.remote!.key} is in the bucket (has ${[...objects.keys()].join(', ')})`);
    assert.equal(sha256(bytes), backup.sha256);
    assert.ok(bytes.equals(await readFile(await localFile(backup.id))), 'the same bytes as the local file');
    assert.match((await ok(['db', 'list-backups', 'cache'])).stdout, new RegExp(`${backup.id}\\s+manual\\s+SUCCEEDED.*uploaded`));
  });

  test('the local file is gone: restore fetches the copy (sha256 checked) and the data is back', async () => {
    const backup = (await backups()).find((b) => b.remote?.status === 'uploaded')!;
    const file = await localFile(backup.id);
    await rm(file);
    assert.equal(await redis('FLUSHALL'), 'OK');
    assert.equal(await redis('GET', 'greeting'), '');

    await ok(['db', 'restore', backup.id, '--yes']);
    assert.equal(await redis('GET', 'greeting'), 'hello from the bucket');
    assert.equal(await redis('LRANGE', 'queue', '0', '-1'), 'a\nb\nc');
    assert.ok(existsSync(file), 'fetched back to where it was');
    assert.equal(sha256(await readFile(file)), backup.sha256);
  });

  test('a corrupted copy is refused when fetched; the live data stays', async () => {
    const backup = (await backups()).find((b) => b.kind === 'manual' && b.remote?.status === 'uploaded')!;
    await s3.put(backup.remote!.key!, Buffer.from('REDIS0011 but not the backup'));
    await rm(await localFile(backup.id));
    const refused = await run(['db', 'restore', backup.id, '--yes']);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /is gone and fetching s3:\/\/wharf-backups\/.* failed: .*has sha256 [0-9a-f]{16}…, the backup recorded/);
    assert.equal(await redis('GET', 'greeting'), 'hello from the bucket');
  });

  test('a bucket that is down: the backup succeeds at once, the copy fails with a clear error, and a later retry copies it', async () => {
    await s3.stop();
    const backup = await okJson<BackupView>(['db', 'backup', 'cache']);
    assert.equal(backup.status, 'SUCCEEDED', 'the backup does not wait for the bucket');
    const failed = await waitForRemote(backup.id, 'failed');
    assert.match(failed.remote!.error!, new RegExp(`^upload to s3://wharf-backups/wharf/offsite/production/cache/${backup.id}\\.rdb failed: cannot reach http://127\\.0\\.0\\.1:\\d+ \\(ECONNREFUSED\\)$`));
    assert.ok(failed.remote!.nextAttemptAt, 'a retry is planned');
    const listed = await ok(['db', 'list-backups', 'cache']);
    assert.match(listed.stdout, /failed \(\d+\)/);
    assert.match(listed.stdout, new RegExp(`${backup.id}: upload to .* cannot reach`));
    const events = await ok(['events', '--json']);
    assert.match(events.stdout, /backup\.upload_failed/);

    await s3.start();
    const copied = await waitForRemote(backup.id, 'uploaded', 'the retry with backoff to copy it once the bucket is back');
    assert.ok(copied.remote!.attempts >= 2);
    assert.equal(sha256((await s3.objects()).get(copied.remote!.key!)!), backup.sha256);
  });

  test('retention deletes the copies of pruned backups', async () => {
    await ok(['db', 'schedule', 'cache', '--keep', '1']);
    const kept = await okJson<BackupView>(['db', 'backup', 'cache']);
    await waitForRemote(kept.id, 'uploaded');
    const left = (await backups()).filter((b) => b.kind === 'manual' || b.kind === 'scheduled');
    assert.deepEqual(left.map((b) => b.id), [kept.id]);
    // What is left in the bucket: the copies of backups that still exist (safety backups are not pruned).
    const expected = (await backups()).filter((b) => b.remote?.status === 'uploaded').map((b) => b.remote!.key!).sort();
    let inBucket: string[] = [];
    await waitFor(
      async () => {
        inBucket = [...(await s3.objects()).keys()].sort();
        return JSON.stringify(inBucket) === JSON.stringify(expected);
      },
      { timeoutMs: 30_000, what: () => `the bucket to hold only ${expected.join(', ')} (holds ${inBucket.join(', ')})` },
    );
    assert.ok(expected.includes(`wharf/offsite/production/cache/${kept.id}.rdb`));
  });

  test('a database’s own bucket (here: prefix) wins over the project’s; --database must name a database', async () => {
    const set = (database: string) => run(['db', 'backups', 'remote', 'set', '--database', database, '--endpoint', s3.endpoint, '--bucket', s3.bucket, '--prefix', 'own', '--access-key-id', s3.accessKeyId, '--secret-access-key-stdin'], { stdin: s3.secretAccessKey });
    const nope = await set('nope');
    assert.equal(nope.code, 1);
    assert.match(nope.stderr, /nope is not a database of project offsite/);
    assert.equal((await set('cache')).code, 0);
    assert.deepEqual((await okJson<Array<{ database: string | null; prefix: string }>>(['db', 'backups', 'remote', 'show'])).map((r) => [r.database, r.prefix]), [[null, 'wharf'], ['cache', 'own']]);
    const backup = await okJson<BackupView>(['db', 'backup', 'cache']);
    assert.equal((await waitForRemote(backup.id, 'uploaded')).remote!.key, `own/offsite/production/cache/${backup.id}.rdb`);
    await ok(['db', 'backups', 'remote', 'unset', '--database', 'cache']);
    const again = await okJson<BackupView>(['db', 'backup', 'cache']);
    assert.equal((await waitForRemote(again.id, 'uploaded')).remote!.key, `wharf/offsite/production/cache/${again.id}.rdb`);
  });

  test('unset stops copying; the secret is nowhere: not in output, events, the server log or the state file', async () => {
    await ok(['db', 'backups', 'remote', 'unset']);
    const backup = await okJson<BackupView>(['db', 'backup', 'cache']);
    assert.equal(backup.remote, null);
    const noRemote = await run(['db', 'backups', 'upload', backup.id]);
    assert.equal(noRemote.code, 1);
    assert.match(noRemote.stderr, /no off-site bucket is configured[\s\S]*hint: .*wharf db backups remote set/);

    everything.push((await ok(['events', '--json'])).stdout, wharf.serverLog.join(''));
    for (const text of everything) assert.ok(!text.includes(s3.secretAccessKey), 'the secret key never appears');
    const state = Buffer.concat(await Promise.all(['wharf.db', 'wharf.db-wal'].map((f) => readFile(path.join(wharf.home, f)).catch(() => Buffer.alloc(0)))));
    assert.ok(state.length > 0, 'the state file is there');
    assert.ok(!state.includes(s3.secretAccessKey), 'the secret key is encrypted at rest');
  });
});
