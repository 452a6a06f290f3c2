import { Worker } from 'node:worker_threads';
import { ERRORS, WharfError, type ErrorCode } from '../../core/errors.js';
import type { UnpackJob, UnpackResult } from './unpack-worker.js';

// Runs one unpack job in a worker thread with its own heap limit and a wall-clock limit, so
// neither a slow archive nor a memory blow-up can reach the control plane's event loop.

export interface WorkerLimits {
  timeoutMs: number;
  /** Old-generation heap of the worker, MiB. */
  heapMb: number;
}

// Under tsx (unit tests) this module is a .ts file, in dist a .js one: the worker is its sibling,
// and a .ts worker first registers tsx's loader in its own thread.
const TS = import.meta.url.endsWith('.ts');
const WORKER = new URL(`./unpack-worker${TS ? '.ts' : '.js'}`, import.meta.url);
const TS_BOOT = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER.href)}); })`;

export function runUnpack(job: UnpackJob, limits: WorkerLimits): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(TS ? TS_BOOT : WORKER, { eval: TS, workerData: job, resourceLimits: { maxOldGenerationSizeMb: limits.heapMb }, stdout: false, stderr: false });
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Wait for the thread to be gone: the caller then removes what it half-wrote.
      void worker.terminate().finally(() => (err ? reject(err) : resolve()));
    };
    const timer = setTimeout(
      () =>
        settle(
          new WharfError('INVALID_SOURCE', `checking and unpacking the upload took longer than ${Math.round(limits.timeoutMs / 1000)} s`, {
            hint: 'Upload a smaller folder (leave out generated files with .wharfignore), or raise WHARF_UNPACK_TIMEOUT_MS on the server.',
          }),
        ),
      limits.timeoutMs,
    );
    worker.on('message', (result: UnpackResult) => {
      if (result.ok) settle();
      else settle(new WharfError(result.code in ERRORS ? (result.code as ErrorCode) : 'INTERNAL', result.message, { hint: result.hint }));
    });
    worker.on('error', (err: Error) =>
      settle(
        (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new WharfError('INVALID_SOURCE', 'unpacking the upload ran out of memory', { hint: 'Upload a smaller folder: leave generated files out with .gitignore or .wharfignore.' })
          : new WharfError('INTERNAL', `unpacking the upload failed: ${err.message}`),
      ),
    );
    worker.on('exit', (code) => settle(new WharfError('INTERNAL', `the unpack worker exited (code ${code}) without an answer`)));
  });
}
