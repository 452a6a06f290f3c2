import { checkReplicaId } from '../../../core/names.js';
export { checkReplicaId };
import { createHash } from 'node:crypto';
import type { LivenessSpec, ReplicaRole, ReplicaSpec } from '../../../core/runtime.js';
import type { RestartPolicy } from '../../../core/settings.js';

// Names and labels of everything the docker runtime creates (one convention all of Wharf uses). The
// labels carry every non-secret fact needed to rebuild a replica's status after a restart of
// the control plane, so the engine itself is the record of what runs; secrets never go here
// (labels are readable by anyone who can `docker inspect`).

export const LABEL = {
  managed: 'wharf.managed',
  home: 'wharf.home',
  replica: 'wharf.replica',
  instance: 'wharf.instance',
  role: 'wharf.role',
  deployment: 'wharf.deployment',
  job: 'wharf.job',
  exec: 'wharf.exec',
  port: 'wharf.port',
  restart: 'wharf.restart',
  liveness: 'wharf.liveness',
  logFile: 'wharf.log-file',
  stopGrace: 'wharf.stop-grace-ms',
  memory: 'wharf.memory-bytes',
  network: 'wharf.network',
} as const;

/** `wharf.home`: two installations on one engine never adopt each other's containers. */
export function homeLabel(home: string): string {
  return createHash('sha256').update(home).digest('hex').slice(0, 12);
}

/** A job or exec id as a container-name-safe word (the engine allows [a-zA-Z0-9][a-zA-Z0-9_.-]*). */
export function nameSafe(id: string): string {
  const safe = id.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 100);
  return /^[a-zA-Z0-9]/.test(safe) ? safe : `x${safe}`;
}

export function containerName(replicaId: string): string {
  return `wharf-${replicaId}`;
}

export function jobContainerName(jobId: string): string {
  return `wharf-job-${nameSafe(jobId)}`;
}

export function volumeName(name: string): string {
  return `wharf-vol-${name}`;
}

/** Labels every object of this installation carries (plus `extra`, e.g. wharf.test=1 in tests). */
export function baseLabels(homeHash: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [LABEL.managed]: '1', [LABEL.home]: homeHash };
}

export function replicaLabels(spec: ReplicaSpec, base: Record<string, string>): Record<string, string> {
  return {
    ...base,
    [LABEL.replica]: spec.replicaId,
    [LABEL.instance]: spec.serviceInstanceId,
    [LABEL.role]: spec.role,
    [LABEL.deployment]: spec.deploymentId ?? '',
    [LABEL.port]: spec.port === null ? '' : String(spec.port),
    [LABEL.restart]: `${spec.restart.policy}:${spec.restart.maxRetries}`,
    [LABEL.liveness]: spec.liveness ? JSON.stringify(spec.liveness) : '',
    [LABEL.logFile]: spec.logFile,
    [LABEL.stopGrace]: String(spec.stopGraceMs),
    [LABEL.memory]: spec.limits?.memoryBytes ? String(spec.limits.memoryBytes) : '',
    [LABEL.network]: spec.network?.name ?? '',
  };
}

/** What a replica container's labels say about it. */
export interface ReplicaFacts {
  replicaId: string;
  role: ReplicaRole;
  deploymentId: string | null;
  serviceInstanceId: string;
  port: number | null;
  restart: { policy: RestartPolicy; maxRetries: number };
  liveness: LivenessSpec | null;
  logFile: string;
  stopGraceMs: number;
  memoryBytes: number | null;
  network: string | null;
}

export function factsFromLabels(labels: Record<string, string>): ReplicaFacts | null {
  const replicaId = labels[LABEL.replica];
  const logFile = labels[LABEL.logFile];
  if (!replicaId || !logFile) return null;
  const [policy, retries] = (labels[LABEL.restart] ?? 'NEVER:0').split(':');
  let liveness: LivenessSpec | null = null;
  try {
    liveness = labels[LABEL.liveness] ? (JSON.parse(labels[LABEL.liveness]!) as LivenessSpec) : null;
  } catch {
    liveness = null; // a hand-edited label: run without a liveness monitor rather than fail list()
  }
  const port = labels[LABEL.port] ? Number(labels[LABEL.port]) : null;
  const memory = labels[LABEL.memory] ? Number(labels[LABEL.memory]) : null;
  return {
    replicaId,
    role: labels[LABEL.role] === 'database' ? 'database' : 'app',
    deploymentId: labels[LABEL.deployment] || null,
    serviceInstanceId: labels[LABEL.instance] ?? '',
    port: Number.isFinite(port) ? port : null,
    restart: { policy: (policy as RestartPolicy) ?? 'NEVER', maxRetries: Number(retries) || 0 },
    liveness,
    logFile,
    stopGraceMs: Number(labels[LABEL.stopGrace]) || 10_000,
    memoryBytes: Number.isFinite(memory) ? memory : null,
    network: labels[LABEL.network] || null,
  };
}

/** Engine list filter for this installation's objects (optionally more `key=value` labels). */
export function labelFilter(homeHash: string, ...more: string[]): { label: string[] } {
  return { label: [`${LABEL.managed}=1`, `${LABEL.home}=${homeHash}`, ...more] };
}
