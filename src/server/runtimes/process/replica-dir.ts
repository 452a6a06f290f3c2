import fs from 'node:fs/promises';
import path from 'node:path';
import { WharfError } from '../../../core/errors.js';
import type { ReplicaSpec, ReplicaStatus } from '../../../core/runtime.js';
import { replicaFiles } from '../../../supervisor/status-file.js';

// Replica ids become directory names: checked before they reach a path.
export const REPLICA_ID_PATTERN = /^[a-z0-9_-]{1,64}$/;

export function checkReplicaId(replicaId: string): string {
  if (typeof replicaId !== 'string' || !REPLICA_ID_PATTERN.test(replicaId)) {
    throw new WharfError('BAD_REQUEST', `'${String(replicaId)}' is not a valid replica id`, {
      hint: 'Replica ids are 1-64 characters: lowercase letters, digits, "_" and "-".',
    });
  }
  return replicaId;
}

export async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

export const readStatus = (dir: string) => readJson<ReplicaStatus>(replicaFiles(dir).status);
export const readSpec = (dir: string) => readJson<ReplicaSpec>(replicaFiles(dir).spec);

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
export function statusFromSpec(spec: ReplicaSpec, state: ReplicaStatus['state']): ReplicaStatus {
  return {
    replicaId: spec.replicaId,
    deploymentId: spec.deploymentId,
    serviceInstanceId: spec.serviceInstanceId,
    port: spec.port,
    state,
    restarts: 0,
    appPid: null,
    supervisorPid: null,
    exitCode: null,
    exitSignal: null,
    startedAt: null,
    updatedAt: new Date().toISOString(),
    lastReason: 'the supervisor never reported a status',
  };
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
