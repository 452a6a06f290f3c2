import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../src/server/ports.js';

// A real S3-compatible server for tests: s3rver (S3's REST API over a folder, in this
// process) on 127.0.0.1, with its own random keys and one bucket. It can be stopped and
// started again on the same port and folder, to play a bucket that is down for a while.

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverClass;
const accounts = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  running(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Every object in the bucket: key → bytes. */
  objects(): Promise<Map<string, Buffer>>;
  put(key: string, body: Buffer): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startS3Server(bucket = 'wharf-backups'): Promise<S3TestServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-s3-'));
  const port = await freePort();
  const accessKeyId = `WHARFTEST${randomBytes(6).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  accounts.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  const endpoint = `http://127.0.0.1:${port}`;
  let server: S3rverInstance | null = null;
  let client: S3Client | null = null;
  const s3 = () =>
    (client ??= new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }));

  const self: S3TestServer = {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    running: () => server !== null,
    async start() {
      if (server) return;
      const next = new S3rver({ address: '127.0.0.1', port, silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
      await next.run();
      server = next;
    },
    async stop() {
      const current = server;
      server = null;
      await current?.close();
    },
    async objects() {
      const found = new Map<string, Buffer>();
      const list = await s3().send(new ListObjectsV2Command({ Bucket: bucket }));
      for (const item of list.Contents ?? []) {
        const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: item.Key! }));
        found.set(item.Key!, Buffer.from(await got.Body!.transformToByteArray()));
      }
      return found;
    },
    async put(key, body) {
      await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async cleanup() {
      client?.destroy();
      await self.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await self.start();
  } catch (error) {
    await self.cleanup();
    throw error;
  }
  return self;
}
