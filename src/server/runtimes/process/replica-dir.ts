import { checkReplicaId, REPLICA_ID_PATTERN } from '../../../core/names.js';
export { checkReplicaId };
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ReplicaStatus } from '../../../core/runtime.js';
import { replicaFiles, type SupervisedSpec, type SupervisedStatus } from '../../../supervisor/status-file.js';

export async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

export const readStatus = async (dir: string): Promise<SupervisedStatus | null> => {
  const status = await readJson<SupervisedStatus>(replicaFiles(dir).status);
  return status ? withSeamFields(status) : null;
};
export const readSpec = (dir: string) => readJson<SupervisedSpec>(replicaFiles(dir).spec);

/**
 * A status.json written by a supervisor from before the runtime-neutral seam (still running after
 * an upgrade) has no role, runtime or endpoint, and marks database servers with the deployment
 * id 'database': adopted as the seam says.
 */
function withSeamFields(status: SupervisedStatus): SupervisedStatus {
  if (status.role && status.runtime) return status;
  const legacy = status as SupervisedStatus & { deploymentId: string | null };
  const database = legacy.deploymentId === 'database';
  return {
    ...status,
    role: status.role ?? (database ? 'database' : 'app'),
    deploymentId: database ? null : legacy.deploymentId,
    runtime: 'process',
    endpoint: status.endpoint ?? (status.port === null ? null : { host: '127.0.0.1', port: status.port }),
  };
}

/** Age of spec.json in ms, or null when there is none. */
export async function specAgeMs(dir: string): Promise<number | null> {
  try {
    const stat = await fs.stat(replicaFiles(dir).spec);
    return Date.now() - stat.mtimeMs;
  } catch {
    return null;
  }
}

/** A status for a replica whose supervisor never recorded one. */
export function statusFromSpec(spec: SupervisedSpec, state: ReplicaStatus['state']): SupervisedStatus {
  return withSeamFields({
    replicaId: spec.replicaId,
    role: spec.role,
    deploymentId: spec.deploymentId,
    serviceInstanceId: spec.serviceInstanceId,
    runtime: 'process',
    port: spec.port,
    endpoint: spec.port === null ? null : { host: '127.0.0.1', port: spec.port },
    state,
    restarts: 0,
    appPid: null,
    supervisorPid: null,
    exitCode: null,
    exitSignal: null,
    startedAt: null,
    updatedAt: new Date().toISOString(),
    lastReason: 'the supervisor never reported a status',
  });
}

export async function tailOf(file: string, maxChars = 2000): Promise<string> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return text.slice(-maxChars).trim();
  } catch {
    return '';
  }
}

export async function listReplicaIds(replicasDir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(replicasDir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && REPLICA_ID_PATTERN.test(e.name)).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export const replicaPath = (replicasDir: string, replicaId: string) =>
  path.join(path.resolve(replicasDir), checkReplicaId(replicaId));
