import fs from 'node:fs';
import path from 'node:path';
import type { ReplicaSpec, ReplicaStatus } from '../core/runtime.js';

// The files of one replica directory, shared by the supervisor (writer) and the process
// runtime (reader). Writes are atomic (tmp + rename) so a reader never sees half a file.

export const replicaFiles = (dir: string) => ({
  spec: path.join(dir, 'spec.json'),
  status: path.join(dir, 'status.json'),
  /** Written by the runtime before SIGTERM: the grace to use for this stop. */
  stopRequest: path.join(dir, 'stop.json'),
  supervisorLog: path.join(dir, 'supervisor.log'),
});

/**
 * What the supervisor runs: the generic spec with its release resolved to the folder the app
 * runs in (its working copy, or the release itself for `inPlace`). Process-driver only.
 */
export type SupervisedSpec = ReplicaSpec & { cwd: string };

/**
 * status.json: the generic status plus the pids the process driver needs to signal, adopt and
 * measure a replica. Generic code never sees these (ReplicaStatus has no pids).
 */
export interface SupervisedStatus extends ReplicaStatus {
  /** The app's pid, also its process group id (it is spawned detached). */
  appPid: number | null;
  supervisorPid: number | null;
}

export interface StopRequest {
  graceMs: number;
}

export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export function readJsonSync<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

export function writeStatus(dir: string, status: SupervisedStatus): void {
  writeJsonAtomic(replicaFiles(dir).status, status);
}

export function readSpecSync(dir: string): SupervisedSpec {
  const spec = readJsonSync<SupervisedSpec>(replicaFiles(dir).spec);
  if (!spec || typeof spec !== 'object') throw new Error(`no readable spec.json in ${dir}`);
  const problems: string[] = [];
  if (!Array.isArray(spec.command) || spec.command.length === 0) problems.push('command must be a non-empty array');
  if (typeof spec.cwd !== 'string') problems.push('cwd must be a string');
  if (typeof spec.logFile !== 'string') problems.push('logFile must be a string');
  if (!spec.restart || typeof spec.restart.maxRetries !== 'number') problems.push('restart is missing');
  if (problems.length > 0) throw new Error(`spec.json in ${dir} is not valid: ${problems.join('; ')}`);
  return spec;
}

export function readStopGraceMs(dir: string): number | null {
  const request = readJsonSync<StopRequest>(replicaFiles(dir).stopRequest);
  return request && typeof request.graceMs === 'number' && request.graceMs >= 0 ? request.graceMs : null;
}
