import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { WharfError } from '../../../core/errors.js';
import type { BackupRemote } from '../../store/backup-remotes.js';

// The SDK is loaded on first use: it adds ~25 MB to the control plane, which most installs
// (no bucket configured) never need.
type S3Sdk = typeof import('@aws-sdk/client-s3');
type StorageSdk = typeof import('@aws-sdk/lib-storage');
let loading: Promise<{ s3: S3Sdk; storage: StorageSdk }> | null = null;
function sdk(): Promise<{ s3: S3Sdk; storage: StorageSdk }> {
  loading ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]).then(([s3, storage]) => ({ s3, storage }));
  return loading;
}

// Wharf runs on Node 20, which the SDK versions pinned by the lockfile support; their notice
// about later versions is not for Wharf's users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const PLAIN_STATUS: Record<number, string> = {
  301: 'the bucket is in another region, or needs the other addressing style',
  400: 'the server refused the request (region?)',
  403: 'access denied: wrong keys, or keys without rights on this bucket',
  404: 'no such bucket',
};

/** Files up to this size go in one PUT (with its SHA-256 for the server to check); bigger ones in parts of this size. */
export const PART_BYTES = 16 * 1024 * 1024;

/**
 * One S3-compatible bucket (AWS S3, MinIO, R2, B2, Garage …) through the AWS SDK: streamed
 * uploads (multipart past PART_BYTES), checked downloads, deletes. Errors it throws carry
 * neither key: `describe()` words them for the backup record and the log.
 */
export class S3Bucket {
  private client: S3Client | null = null;

  constructor(private readonly remote: BackupRemote) {}

  private async open(): Promise<{ client: S3Client; s3: S3Sdk; storage: StorageSdk }> {
    const { s3, storage } = await sdk();
    const remote = this.remote;
    this.client ??= new s3.S3Client({
      endpoint: remote.endpoint,
      region: remote.region,
      forcePathStyle: remote.pathStyle,
      credentials: { accessKeyId: remote.accessKeyId, secretAccessKey: remote.secretAccessKey },
      // Checksums only where S3 requires them: the aws-chunked trailers the SDK sends by default
      // are refused by many S3-compatible servers. Wharf sends the file's SHA-256 itself.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
    });
    return { client: this.client, s3, storage };
  }

  /** `s3://bucket/key` for messages (never the endpoint's keys: it has none). */
  where(key: string): string {
    return `s3://${this.remote.bucket}/${key}`;
  }

  /** The bucket exists and answers to these keys. */
  async check(): Promise<void> {
    const { client, s3 } = await this.open();
    try {
      await client.send(new s3.HeadBucketCommand({ Bucket: this.remote.bucket }));
    } catch (error) {
      throw new WharfError('BAD_REQUEST', `bucket ${this.remote.bucket} at ${this.remote.endpoint} cannot be used: ${this.describe(error)}`, {
        hint: 'Check the endpoint, region, bucket and keys (--no-path-style if the server only answers at BUCKET.endpoint); --skip-check stores them anyway.',
      });
    }
  }

  /**
   * Uploads a file and checks it on the way and after: the bytes read must be the backup's
   * (its recorded SHA-256); a single PUT carries Content-MD5 and x-amz-checksum-sha256, so the
   * server refuses bytes damaged on the way; then what the bucket holds must have the backup's
   * size (and SHA-256, where the server keeps one).
   */
  async upload(file: string, key: string, expected: { bytes: number; sha256: string }, signal?: AbortSignal): Promise<void> {
    const { client, s3, storage } = await this.open();
    const metadata = { sha256: expected.sha256 };
    const handle = await open(file, 'r');
    try {
      if (expected.bytes <= PART_BYTES) {
        const data = await handle.readFile();
        this.checkSame(createHash('sha256').update(data).digest('hex'), expected.sha256);
        await client.send(
          new s3.PutObjectCommand({
            Bucket: this.remote.bucket,
            Key: key,
            Body: data,
            ContentLength: data.length,
            ContentMD5: createHash('md5').update(data).digest('base64'),
            ChecksumSHA256: Buffer.from(expected.sha256, 'hex').toString('base64'),
            Metadata: metadata,
          }),
          { abortSignal: signal },
        );
      } else {
        const hash = createHash('sha256');
        const source = handle.createReadStream({ autoClose: false });
        const body = source.pipe(
          new Transform({
            transform(chunk: Buffer, _encoding, done) {
              hash.update(chunk);
              done(null, chunk);
            },
          }),
        );
        // A read error fails the upload (through the body); after an abort nobody reads the
        // body any more, and its error must not become an uncaught exception.
        source.on('error', (error) => body.destroy(error));
        body.on('error', () => undefined);
        const upload = new storage.Upload({ client, params: { Bucket: this.remote.bucket, Key: key, Body: body, Metadata: metadata }, partSize: PART_BYTES, queueSize: 2, leavePartsOnError: false });
        const abort = () => void upload.abort();
        signal?.addEventListener('abort', abort, { once: true });
        try {
          await upload.done();
        } finally {
          signal?.removeEventListener('abort', abort);
        }
        try {
          this.checkSame(hash.digest('hex'), expected.sha256);
        } catch (error) {
          await this.delete(key).catch(() => undefined);
          throw error;
        }
      }
    } finally {
      await handle.close();
    }
    const head = await client.send(new s3.HeadObjectCommand({ Bucket: this.remote.bucket, Key: key, ChecksumMode: 'ENABLED' }), { abortSignal: signal });
    if (head.ContentLength !== undefined && head.ContentLength !== expected.bytes) {
      throw new Error(`${this.where(key)} holds ${head.ContentLength} bytes, the backup has ${expected.bytes}`);
    }
    if (head.Metadata?.sha256 !== undefined && head.Metadata.sha256 !== expected.sha256) throw new Error(`${this.where(key)} has another sha256 than the backup`);
    // A full-object checksum (not a multipart composite "…-N") is the server's own reading of the bytes.
    const serverSha = head.ChecksumSHA256;
    if (serverSha && !serverSha.includes('-') && Buffer.from(serverSha, 'base64').toString('hex') !== expected.sha256) {
      throw new Error(`${this.where(key)}: the bucket computed another sha256 than the backup's`);
    }
  }

  private checkSame(actual: string, recorded: string): void {
    if (actual !== recorded) throw new Error(`the local file has sha256 ${actual.slice(0, 16)}…, the backup recorded ${recorded.slice(0, 16)}…: it changed since the backup`);
  }

  /** Downloads to `file` (through `file.part`), refusing bytes whose SHA-256 is not `sha256`. */
  async download(key: string, file: string, sha256: string | null): Promise<void> {
    const { client, s3 } = await this.open();
    const part = `${file}.part`;
    try {
      const got = await client.send(new s3.GetObjectCommand({ Bucket: this.remote.bucket, Key: key }));
      if (!got.Body) throw new Error(`${this.where(key)} has no body`);
      const hash = createHash('sha256');
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(got.Body as Readable, tap, createWriteStream(part, { mode: 0o600 }));
      const actual = hash.digest('hex');
      if (sha256 && actual !== sha256) throw new Error(`${this.where(key)} has sha256 ${actual.slice(0, 16)}…, the backup recorded ${sha256.slice(0, 16)}…`);
      await rename(part, file);
    } catch (error) {
      await rm(part, { force: true });
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const { client, s3 } = await this.open();
    await client.send(new s3.DeleteObjectCommand({ Bucket: this.remote.bucket, Key: key }));
  }

  close(): void {
    this.client?.destroy();
  }

  /** One line for a user: what went wrong, without either key. */
  describe(error: unknown): string {
    const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; errors?: Array<{ code?: string; message?: string }> };
    let text: string;
    const network = e.code ?? e.errors?.find((x) => x.code)?.code;
    if (e.code === 'ENOENT') text = 'the local file is gone';
    else if (network && /^E[A-Z]+$/.test(network)) text = `cannot reach ${this.remote.endpoint} (${network})`;
    else if (e.name === 'AbortError') text = 'interrupted';
    else if (e.$metadata?.httpStatusCode) {
      const status = e.$metadata.httpStatusCode;
      // Answers to HEAD have no body: the SDK then knows only the status.
      const vague = !e.name || ['Unknown', 'UnknownError', 'NotFound', 'Forbidden', 'BadRequest', 'MovedPermanently'].includes(e.name);
      const plain = PLAIN_STATUS[status];
      const named = vague ? (plain ?? 'the server refused') : e.name!;
      const detail = !vague && e.message && e.message !== e.name && e.message !== 'UnknownError' ? `: ${e.message}` : '';
      text = `${named} (HTTP ${status})${detail}`;
    }
    else text = e.message ?? String(error);
    return this.redact(text);
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of [this.remote.secretAccessKey, this.remote.accessKeyId]) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
    return out.split('\n')[0]!.slice(0, 500);
  }
}
