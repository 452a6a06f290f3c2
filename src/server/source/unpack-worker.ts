import { parentPort, workerData } from 'node:worker_threads';
import { WharfError } from '../../core/errors.js';
import { checkAndUnpack, type UnpackLimits } from './unpack.js';

// Worker thread entry: inflating and checking an archive is CPU work that must not stall the
// API (a 46 MB gzip bomb once kept /v1/health from answering for 12 minutes).

export interface UnpackJob {
  archive: string;
  target: string;
  limits: UnpackLimits;
}

export type UnpackResult = { ok: true } | { ok: false; code: string; message: string; hint?: string };

const job = workerData as UnpackJob;
checkAndUnpack(job.archive, job.target, job.limits).then(
  () => parentPort!.postMessage({ ok: true } satisfies UnpackResult),
  (err: unknown) => {
    const result: UnpackResult =
      err instanceof WharfError
        ? { ok: false, code: err.code, message: err.message, hint: err.hint }
        : { ok: false, code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
    parentPort!.postMessage(result);
  },
);
