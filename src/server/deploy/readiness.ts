import { setTimeout as sleep } from 'node:timers/promises';
import type { ReplicaStatus, Runtime } from '../../core/runtime.js';
import { probeHttp, probeTcp } from '../../shared/probe.js';

export interface ReadinessCheck {
  replicaId: string;
  port: number | null;
  /** HTTP path that must answer 2xx; null means "the port accepts TCP connections". */
  path: string | null;
  host: string;
  timeoutMs: number;
  onProgress: (message: string) => void;
}

export class ReplicaEndedError extends Error {
  constructor(readonly status: ReplicaStatus) {
    super(`replica ${status.replicaId} ${status.state}`);
  }
}

export class NotReadyError extends Error {
  constructor(readonly lastDetail: string, readonly waitedMs: number) {
    super(`not healthy after ${Math.round(waitedMs / 1000)} s (last check: ${lastDetail})`);
  }
}

const ENDED = new Set(['crashed', 'exited', 'stopped', 'lost']);

/**
 * Waits until a new replica may take traffic. Gives up early when the replica has ended
 * (its restart policy gave up), so a crash loop fails fast instead of at the timeout.
 */
export async function waitReady(runtime: Runtime, check: ReadinessCheck): Promise<void> {
  const started = Date.now();
  let lastDetail = 'not checked yet';
  let lastReport = started;
  let interval = 200;
  for (;;) {
    const status = (await runtime.list()).find((s) => s.replicaId === check.replicaId);
    if (!status || ENDED.has(status.state)) {
      throw new ReplicaEndedError(status ?? lostStatus(check.replicaId));
    }
    if (check.port === null) {
      if (status.state === 'running' || status.state === 'starting') return;
    } else {
      // Where the driver says the replica's port is reached (a container's address, or the host).
      const endpoint = status.endpoint;
      const probe = !endpoint
        ? { ok: false, detail: 'no endpoint yet' }
        : check.path
          ? await probeHttp(endpoint, check.path, check.host, 5000)
          : await probeTcp(endpoint, 5000);
      if (probe.ok) return;
      lastDetail = probe.detail;
    }
    const waited = Date.now() - started;
    if (waited >= check.timeoutMs) throw new NotReadyError(lastDetail, waited);
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      const what = check.path ? `${check.path} to answer 2xx` : 'the port to accept connections';
      check.onProgress(`waiting for ${what} on ${check.replicaId} (${Math.round(waited / 1000)} s of ${Math.round(check.timeoutMs / 1000)} s; last: ${lastDetail})`);
    }
    await sleep(Math.min(interval, check.timeoutMs - waited));
    interval = Math.min(interval * 1.5, 1000);
  }
}

function lostStatus(replicaId: string): ReplicaStatus {
  return {
    replicaId, role: 'app', deploymentId: null, serviceInstanceId: '', runtime: 'process', port: null, endpoint: null, state: 'lost', restarts: 0,
    exitCode: null, exitSignal: null, startedAt: null,
    updatedAt: new Date().toISOString(), lastReason: 'the runtime no longer knows this replica',
  };
}
