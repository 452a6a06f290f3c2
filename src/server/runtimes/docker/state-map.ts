import type { Endpoint, ReplicaState, ReplicaStatus } from '../../../core/runtime.js';
import type { ReplicaRecord } from './bookkeeping.js';
import type { ReplicaFacts } from './labels.js';

// A replica's status, read off `docker inspect` plus the driver's bookkeeping: pure, so every
// case is a row in state-map.test.ts. The engine runs restarts; Wharf only adds what the
// engine cannot know (stopped by Wharf, liveness, given up after a liveness failure).

/** The parts of the engine's ContainerInspectInfo this reads. */
export interface InspectLike {
  Id: string;
  RestartCount: number;
  State: {
    Status: string;
    Running: boolean;
    Restarting: boolean;
    OOMKilled: boolean;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
  };
  NetworkSettings?: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string } | undefined> };
  HostConfig?: { Memory?: number };
}

/** What Wharf's live monitors know beyond the bookkeeping (this control plane's memory). */
export interface LiveView {
  /** The liveness threshold was reached and Wharf is restarting the container. */
  unhealthyNow?: boolean;
}

const NEVER = '0001-01-01T00:00:00Z';

export function timeOrNull(t: string | undefined): string | null {
  if (!t || t.startsWith('0001-01-01')) return null;
  return new Date(t).toISOString();
}

export function mib(bytes: number | null): string {
  return bytes === null ? 'none' : `${Math.round(bytes / 2 ** 20)} MiB`;
}

/** Why the last run ended, in the process supervisor's words where it has them. */
export function describeEnd(info: InspectLike, facts: ReplicaFacts): string {
  if (info.State.OOMKilled) return `killed: out of memory (limit ${mib(memoryLimit(info, facts))})`;
  return `exited with code ${info.State.ExitCode}`;
}

function memoryLimit(info: InspectLike, facts: ReplicaFacts): number | null {
  return info.HostConfig?.Memory || facts.memoryBytes || null;
}

export function endpointOf(info: InspectLike, facts: ReplicaFacts): Endpoint | null {
  if (facts.port === null || !info.State.Running) return null;
  const networks = info.NetworkSettings?.Networks ?? {};
  const ip = (facts.network ? networks[facts.network]?.IPAddress : undefined) || info.NetworkSettings?.IPAddress || networks.bridge?.IPAddress;
  return ip ? { host: ip, port: facts.port } : null;
}

export function totalRestarts(info: InspectLike, record: ReplicaRecord | null): number {
  return (record?.restartBase ?? 0) + info.RestartCount;
}

export function stateOf(info: InspectLike, facts: ReplicaFacts, record: ReplicaRecord | null, live: LiveView = {}): ReplicaState {
  const s = info.State;
  if (record?.gaveUp) return 'crashed';
  if (live.unhealthyNow) return 'unhealthy';
  if (s.Restarting || s.Status === 'restarting') return 'restarting';
  if (s.Running) {
    const probed = facts.liveness !== null && facts.port !== null;
    return probed && record?.healthyRun !== s.StartedAt ? 'starting' : 'running';
  }
  if (s.Status === 'created') return record?.stoppedAt ? 'stopped' : 'starting';
  if (record?.stoppedAt) return 'stopped';
  return s.ExitCode === 0 && !s.OOMKilled && facts.restart.policy !== 'ALWAYS' ? 'exited' : 'crashed';
}

export function statusOf(info: InspectLike, facts: ReplicaFacts, record: ReplicaRecord | null, live: LiveView = {}): ReplicaStatus {
  const s = info.State;
  const state = stateOf(info, facts, record, live);
  const ended = s.FinishedAt && s.FinishedAt !== NEVER && timeOrNull(s.FinishedAt) !== null;
  const exitSignal = !s.Running && s.ExitCode > 128 && s.ExitCode < 160 ? signalName(s.ExitCode - 128) : null;
  const forced = record?.forcedEnd && record.forcedEnd.finishedAt === s.FinishedAt ? record.forcedEnd.reason : null;
  const lastReason = record?.gaveUp?.reason ?? forced ?? (ended ? describeEnd(info, facts) : null);
  return {
    replicaId: facts.replicaId,
    role: facts.role,
    deploymentId: facts.deploymentId,
    serviceInstanceId: facts.serviceInstanceId,
    runtime: 'docker',
    port: facts.port,
    endpoint: endpointOf(info, facts),
    state,
    restarts: totalRestarts(info, record),
    exitCode: ended ? s.ExitCode : null,
    exitSignal,
    startedAt: timeOrNull(s.StartedAt),
    updatedAt: new Date().toISOString(),
    lastReason,
    unhealthySince: record?.unhealthySince ?? null,
    oomKilled: s.OOMKilled ? { limitBytes: memoryLimit(info, facts), at: timeOrNull(s.FinishedAt) ?? new Date().toISOString() } : null,
  };
}

/** A replica Wharf still has bookkeeping for, whose container is gone. */
export function lostStatus(record: ReplicaRecord): ReplicaStatus {
  const f = record.facts;
  return {
    replicaId: f.replicaId,
    role: f.role,
    deploymentId: f.deploymentId,
    serviceInstanceId: f.serviceInstanceId,
    runtime: 'docker',
    port: f.port,
    endpoint: null,
    state: 'lost',
    restarts: record.restartBase ?? 0,
    exitCode: null,
    exitSignal: null,
    startedAt: null,
    updatedAt: new Date().toISOString(),
    lastReason: 'its container is gone (removed outside Wharf)',
    unhealthySince: record.unhealthySince ?? null,
    oomKilled: null,
  };
}

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM' };
function signalName(n: number): string | null {
  return SIGNALS[n] ?? null;
}
