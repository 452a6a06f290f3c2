import type { ReplicaRecord } from '../../core/model.js';
import { servesTraffic, type ReplicaStatus } from '../../core/runtime.js';
import { emitDeploymentEvent } from '../deploy/events.js';
import type { Store } from '../store/store.js';

// What supervisors record, turned into events once each: a live replica that went unhealthy
// (service.unhealthy, once per episode: until it answers 2xx again), and one whose restart
// policy gave up while its siblings serve (service.crashed; when none is left, the deployment
// crashes and ended.ts says so instead), and one the kernel killed for running out of memory
// (service.oom, once per kill, with the limit; the docker driver reports it). Memory is in-process: after a control-plane restart,
// what replicas already showed is the baseline, so nothing is announced twice.

const ENDED = new Set(['crashed', 'exited', 'stopped', 'lost']);

interface Seen {
  unhealthySince: string | null;
  ended: boolean;
  /** When the last OOM kill we know of happened. */
  oomAt: string | null;
}

/** 268435456 → "256 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

export class ReplicaEvents {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly store: Store,
    /** Replicas created before this were running before we watched: their state is the baseline. */
    private readonly watchingSince = Date.now(),
  ) {}

  observe(statuses: readonly ReplicaStatus[]): void {
    const byId = new Map(statuses.map((s) => [s.replicaId, s]));
    const live = new Set<string>();
    for (const instance of this.store.projects.listInstances()) {
      const activeId = instance.activeDeploymentId;
      if (!activeId) continue;
      const routed = this.store.replicas.forDeployment(activeId).filter((r) => r.routed);
      if (routed.length === 0) continue;
      const deployment = this.store.deployments.get(activeId);
      if (deployment.status !== 'ACTIVE') continue;
      for (const replica of routed) {
        const status = byId.get(replica.id);
        if (!status) continue;
        live.add(replica.id);
        this.check(replica, status, routed, byId, deployment);
      }
    }
    for (const id of this.seen.keys()) if (!live.has(id)) this.seen.delete(id);
  }

  private check(replica: ReplicaRecord, status: ReplicaStatus, routed: readonly ReplicaRecord[], byId: ReadonlyMap<string, ReplicaStatus>, deployment: ReturnType<Store['deployments']['get']>): void {
    const ended = ENDED.has(status.state);
    const now: Seen = { unhealthySince: status.unhealthySince ?? null, ended, oomAt: status.oomKilled?.at ?? null };
    const before = this.seen.get(replica.id) ?? (Date.parse(replica.createdAt) < this.watchingSince ? now : { unhealthySince: null, ended: false, oomAt: null });
    this.seen.set(replica.id, now);
    const siblings = routed.filter((r) => r.id !== replica.id).map((r) => byId.get(r.id));
    const serving = siblings.filter((s) => s !== undefined && servesTraffic(s)).length;
    const want = deployment.config.numReplicas;
    const data = { replica: replica.id, reason: status.lastReason, restarts: status.restarts };

    if (now.unhealthySince && now.unhealthySince !== before.unhealthySince && !ended) {
      const message = `replica ${replica.id} is unhealthy: ${status.lastReason ?? 'its health check failed'}; it gets no traffic until it answers 2xx again (${serving} of ${want} replica(s) serve) and is restarted by its policy (${deployment.config.restartPolicyType})`;
      this.store.deployments.note(deployment.id, message);
      emitDeploymentEvent(this.store, deployment, 'service.unhealthy', 'warning', message, { ...data, unhealthySince: now.unhealthySince });
    }
    if (status.oomKilled && now.oomAt !== before.oomAt) {
      const limit = status.oomKilled.limitBytes;
      const message = `replica ${replica.id} was killed for running out of memory (${limit ? `limit ${formatBytes(limit)}` : 'no limit set: the machine ran out'}); restarts: ${status.restarts}`;
      this.store.deployments.note(deployment.id, message);
      emitDeploymentEvent(this.store, deployment, 'service.oom', 'error', message, { ...data, limitBytes: limit, oomAt: status.oomKilled.at });
    }
    // The last one to end is the deployment's crash (ended.ts), not a replica's.
    const othersAlive = siblings.some((s) => s !== undefined && !ENDED.has(s.state));
    if (status.state === 'crashed' && !before.ended && othersAlive) {
      const message = `replica ${replica.id} crashed: ${status.lastReason ?? 'it failed'} after ${status.restarts} restart(s); the restart policy gave up; ${serving} of ${want} replica(s) still serve`;
      this.store.deployments.note(deployment.id, message);
      emitDeploymentEvent(this.store, deployment, 'service.crashed', 'error', message, data);
    }
  }
}
