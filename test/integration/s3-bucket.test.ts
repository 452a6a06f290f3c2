import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { objectKey, retryDelayMs } from '../../src/server/databases/offsite/offsite-copies.js';
import { PART_BYTES, S3Bucket } from '../../src/server/databases/offsite/s3-bucket.js';
import type { BackupRemote } from '../../src/server/store/backup-remotes.js';
import { freePort } from '../../src/server/ports.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';

// S3Bucket against a real S3-compatible server (s3rver): a single PUT and a multipart upload
// of a file past PART_BYTES, checked downloads, deletes, and errors that name the problem
// without either key.

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('S3Bucket', { timeout: 120_000 }, () => {
  let s3: S3TestServer;
  let dir: string;
  let remote: BackupRemote;

  before(async () => {
    s3 = await startS3Server('bucket-test');
    dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-s3-bucket-'));
    remote = { projectId: 'prj', databaseName: null, endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: '', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, accessKeyHint: '', updatedAt: '' };
  });
  after(async () => {
    await s3?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [what, bytes] of [['one PUT', 1000], ['multipart', PART_BYTES * 2 + 12_345]] as const) {
    test(`${what}: upload, the same bytes in the bucket, download checked, delete`, async () => {
      const bucket = new S3Bucket(remote);
      try {
        const data = randomBytes(bytes);
        const file = path.join(dir, `${bytes}.bin`);
        await writeFile(file, data);
        const key = `t/${bytes}.bin`;
        await bucket.upload(file, key, { bytes, sha256: sha256(data) });
        assert.equal(sha256((await s3.objects()).get(key)!), sha256(data));

        const back = path.join(dir, `${bytes}.back`);
        await bucket.download(key, back, sha256(data));
        assert.ok((await readFile(back)).equals(data));

        await assert.rejects(bucket.download(key, path.join(dir, 'bad'), sha256(Buffer.from('other'))), /has sha256 [0-9a-f]{16}…, the backup recorded/);
        assert.ok(!existsSync(path.join(dir, 'bad')) && !existsSync(path.join(dir, 'bad.part')), 'nothing left of a refused download');

        await bucket.delete(key);
        assert.ok(!(await s3.objects()).has(key));
      } finally {
        bucket.close();
      }
    });
  }

  test('a file that is not what the backup recorded is not uploaded', async () => {
    const bucket = new S3Bucket(remote);
    try {
      const file = path.join(dir, 'short.bin');
      await writeFile(file, 'twelve bytes');
      await assert.rejects(bucket.upload(file, 't/short.bin', { bytes: 12, sha256: sha256(Buffer.from('other bytes!')) }), /the local file has sha256 [0-9a-f]{16}…, the backup recorded [0-9a-f]{16}…: it changed since the backup/);
      // Past PART_BYTES the bytes are hashed as they stream: the object is removed again.
      const big = path.join(dir, 'big-changed.bin');
      await writeFile(big, randomBytes(PART_BYTES + 1));
      await assert.rejects(bucket.upload(big, 't/big-changed.bin', { bytes: PART_BYTES + 1, sha256: sha256(Buffer.from('not it')) }), /it changed since the backup/);
      assert.deepEqual([...(await s3.objects()).keys()].filter((k) => k.startsWith('t/short') || k.startsWith('t/big-changed')), []);
    } finally {
      bucket.close();
    }
  });

  test('errors name the problem and never carry a key', async () => {
    const down = new S3Bucket({ ...remote, endpoint: `http://127.0.0.1:${await freePort()}` });
    const wrong = new S3Bucket({ ...remote, accessKeyId: 'WHARFUNKNOWNKEY' });
    try {
      const file = path.join(dir, 'x.bin');
      await writeFile(file, 'x');
      const refused = await down.upload(file, 'x', { bytes: 1, sha256: sha256(Buffer.from('x')) }).then(() => null, (e: unknown) => down.describe(e));
      assert.match(refused ?? 'uploaded', /^cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);
      const denied = await wrong.upload(file, 'x', { bytes: 1, sha256: sha256(Buffer.from('x')) }).then(() => null, (e: unknown) => wrong.describe(e));
      assert.match(denied ?? 'uploaded', /InvalidAccessKeyId \(HTTP 403\)/);
      const gone = await wrong.upload(path.join(dir, 'missing'), 'x', { bytes: 1, sha256: '' }).then(() => null, (e: unknown) => wrong.describe(e));
      assert.equal(gone, 'the local file is gone');
      // A message that would carry either key has them replaced.
      assert.equal(down.describe(new Error(`signed with ${s3.secretAccessKey} as ${s3.accessKeyId}`)), 'signed with [redacted] as [redacted]');
      await assert.rejects(down.check(), (e: Error) => /cannot be used: cannot reach/.test(e.message) && !e.message.includes(s3.secretAccessKey));
    } finally {
      down.close();
      wrong.close();
    }
  });

  test('object keys and retry delays', () => {
    assert.equal(objectKey('', { project: 'p', environment: 'production', database: 'db', file: 'bak_1.dump' }), 'p/production/db/bak_1.dump');
    assert.equal(objectKey('a/b', { project: 'p', environment: 'pr-4', database: 'db', file: 'bak_1.rdb' }), 'a/b/p/pr-4/db/bak_1.rdb');
    assert.deepEqual([1, 2, 3, 4].map((n) => retryDelayMs(n, 30_000)), [30_000, 60_000, 120_000, 240_000]);
    assert.equal(retryDelayMs(30, 30_000), 3_600_000);
  });

  test('the bucket folder holds no leftovers of refused downloads', async () => {
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.part')), []);
  });
});
