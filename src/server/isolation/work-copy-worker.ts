import { parentPort, workerData } from 'node:worker_threads';
import { makeWorkCopySync, type WorkCopyOptions } from './work-copy.js';

// One working copy, made off the control plane's event loop (work-copy.ts: makeWorkCopy).
const { release, dest, options } = workerData as { release: string; dest: string; options: WorkCopyOptions };
try {
  makeWorkCopySync(release, dest, options);
} catch (err) {
  parentPort?.postMessage({ error: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
}
