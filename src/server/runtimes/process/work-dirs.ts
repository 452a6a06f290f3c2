import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RunAs } from '../../../core/runtime.js';
import { appsFolders } from '../../isolation/isolation.js';
import { makeWorkCopy, type WorkCopyMode } from '../../isolation/work-copy.js';
import { checkReplicaId } from './replica-dir.js';

// Each replica and each one-off command gets its own working copy of the release, under
// WHARF_APPS_DIR, owned by its service's user: what it writes lands there, never in the release
// (the bytes a rollback runs again). A replica's copy lives as long as the replica (its restarts
// keep it, like a container's filesystem); a job's is removed when the job ends.

export interface WorkDirOptions {
  appsDir: string;
  mode: WorkCopyMode;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function checkJobId(jobId: string): string {
  if (!ID.test(jobId)) throw new Error(`'${jobId}' is not a valid job id`);
  return jobId;
}

export const replicaWorkDir = (appsDir: string, replicaId: string) => path.join(appsFolders(appsDir).replicas, checkReplicaId(replicaId));
export const jobWorkDir = (appsDir: string, jobId: string) => path.join(appsFolders(appsDir).jobs, checkJobId(jobId));

/** A fresh copy at `dir` (an old one left by an earlier run of the same id is replaced). */
export async function freshWorkDir(release: string, dir: string, user: RunAs | null, options: WorkDirOptions): Promise<string> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(path.dirname(dir), { recursive: true, mode: 0o711 });
  await makeWorkCopy(release, dir, { mode: options.mode, user });
  return dir;
}

export async function removeWorkDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/**
 * Environment adjustments for a process running as `user` in `dir`: its HOME is its own working
 * folder (the server's HOME, /root, is closed to it), so tools that write under ~ keep working.
 */
export function envForWorkDir(env: Record<string, string>, dir: string, user: RunAs | null): Record<string, string> {
  return user ? { ...env, HOME: dir } : env;
}

/** Runs `fn` in a fresh working copy for one job, removed afterwards whatever happens. */
export async function withJobWorkDir<T>(release: string, jobId: string, user: RunAs | null, options: WorkDirOptions, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await freshWorkDir(release, jobWorkDir(options.appsDir, jobId), user, options);
  try {
    return await fn(dir);
  } finally {
    await removeWorkDir(dir);
  }
}
