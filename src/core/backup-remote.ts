import { z } from 'zod';
import { NAME_PATTERN } from './names.js';

// Off-site copies of database backups: where they go (an S3-compatible bucket) and what a
// backup says about its copy. Validated by the CLI and again by the server.

/** S3's bucket naming rules (the strictest of AWS, MinIO, R2, B2 and Garage). */
export function bucketProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'a bucket name has 3 to 63 characters';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return 'a bucket name uses lowercase letters, digits, dots and dashes, and starts and ends with a letter or digit';
  if (name.includes('..') || name.includes('.-') || name.includes('-.')) return 'a bucket name has no two dots in a row and no dash next to a dot';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'a bucket name is not an IP address';
  return null;
}

/** An http(s) URL with no credentials, path, query or fragment (those would leak or confuse signing). */
export function endpointProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'the endpoint is not a URL (e.g. https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:9000)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'the endpoint must be an http:// or https:// URL';
  if (url.username || url.password) return 'the endpoint must not carry credentials: give the keys separately';
  if (url.search || url.hash) return 'the endpoint must not have a query or fragment';
  if (url.pathname !== '/' && url.pathname !== '') return 'the endpoint is the server only: put the bucket in --bucket and a folder in --prefix';
  return null;
}

/** A key prefix: a folder path in the bucket, no leading slash, no `.` or `..` segments. */
export function prefixProblem(value: string): string | null {
  if (value === '') return null;
  if (value.length > 512) return 'the prefix is longer than 512 characters';
  if (value.startsWith('/')) return 'the prefix does not start with /';
  if (!/^[A-Za-z0-9!_.*'()/-]+$/.test(value)) return "the prefix uses letters, digits and !_.*'()/- only";
  if (value.split('/').some((s) => s === '.' || s === '..')) return 'the prefix has no . or .. segments';
  return null;
}

const refined = (problem: (v: string) => string | null) => (value: string, ctx: z.RefinementCtx) => {
  const message = problem(value);
  if (message) ctx.addIssue({ code: 'custom', message });
};

/** PUT /v1/projects/:project/backup-remote */
export const backupRemoteBody = z
  .object({
    /** A database (service name) of its own; without it, every database of the project. */
    database: z.string().regex(NAME_PATTERN, 'use 1-40 lowercase letters, digits and dashes').optional(),
    endpoint: z.string().max(2048).superRefine(refined(endpointProblem)),
    /** AWS's region, `auto` for R2, anything the server accepts (MinIO: us-east-1). */
    region: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a region is letters, digits, dashes and underscores (e.g. us-east-1, auto)'),
    bucket: z.string().superRefine(refined(bucketProblem)),
    prefix: z.string().default('').transform((p) => p.replace(/\/+$/, '')).superRefine(refined(prefixProblem)),
    /** http://endpoint/bucket/key (MinIO, Garage, most self-hosted servers) rather than http://bucket.endpoint/key. */
    pathStyle: z.boolean().default(true),
    accessKeyId: z.string().min(1, 'the access key id is empty').max(256).regex(/^\S+$/, 'the access key id has no spaces'),
    secretAccessKey: z.string().min(1, 'the secret access key is empty').max(256).regex(/^\S+$/, 'the secret access key has no spaces'),
    /** Store it without first checking that the bucket answers to these keys. */
    skipCheck: z.boolean().default(false),
  })
  .strict();
export type BackupRemoteInput = z.infer<typeof backupRemoteBody>;

/** What the API shows of a target: never the secret, the key id only by its ends. */
export interface BackupRemoteView {
  database: string | null;
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  pathStyle: boolean;
  accessKeyId: string;
  updatedAt: string;
}

export type RemoteCopyStatus = 'pending' | 'uploaded' | 'failed';

/** A backup's off-site copy, as the API shows it. */
export interface RemoteCopyView {
  status: RemoteCopyStatus;
  bucket: string | null;
  key: string | null;
  error: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  uploadedAt: string | null;
}

/** AKIA…WXYZ: enough to tell keys apart. */
export function maskKeyId(id: string): string {
  return id.length <= 8 ? '…' : `${id.slice(0, 4)}…${id.slice(-4)}`;
}
