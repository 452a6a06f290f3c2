import type { Deployment, ReplicaRecord } from '../../core/model.js';
import type { ReplicaStatus } from '../../core/runtime.js';
import { stopGraceMs } from '../../core/settings.js';
import type { DeployContext } from '../deploy/context.js';
import { probeHttp, probeTcp } from '../../shared/probe.js';
import { stopReplicas } from '../deploy/replicas.js';

// Replacement replicas the reconciler started (recorded, not routed yet) are checked once per
// pass instead of being waited for: one probe each, routed when healthy, given up when they
// ended or when healthcheckTimeout has passed since they were recorded. Nothing here waits
// longer than one probe, so a replacement that never gets healthy holds up nobody.

const PROBE_TIMEOUT_MS = 2_000;
const ENDED = new Set(['crashed', 'exited', 'stopped', 'lost']);

/** Routes the pending replicas that are healthy now, stops those that will not be; returns those still waiting. */
export async function checkReplacements(
  ctx: DeployContext,
  deployment: Deployment,
  pending: readonly ReplicaRecord[],
  byId: ReadonlyMap<string, ReplicaStatus>,
  host: string,
): Promise<ReplicaRecord[]> {
  const { store } = ctx;
  const note = (m: string) => store.deployments.note(deployment.id, m);
  const path = deployment.config.healthcheckPath;
  const timeoutMs = deployment.config.healthcheckTimeout * 1000;
  const waiting: ReplicaRecord[] = [];
  for (const replica of pending) {
    const status = byId.get(replica.id);
    if (!status || ENDED.has(status.state)) {
      note(`replacement replica ${replica.id} ${status?.state ?? 'was lost'} before it was healthy${status?.lastReason ? ` (${status.lastReason})` : ''}`);
      await stopReplicas(ctx, [replica], 0);
      continue;
    }
    // Probed where its driver says it is reached (status.endpoint), never an assumed address.
    const endpoint = status.endpoint;
    const probe =
      replica.port === null
        ? { ok: status.state === 'running' || status.state === 'starting', detail: status.state }
        : !endpoint
          ? { ok: false, detail: 'no endpoint yet' }
          : path
            ? await probeHttp(endpoint, path, host, PROBE_TIMEOUT_MS)
            : await probeTcp(endpoint, PROBE_TIMEOUT_MS);
    if (probe.ok) {
      store.replicas.switchRouting([replica.id], []);
      note(`replica ${replica.id} started to bring the deployment back to ${deployment.config.numReplicas} replica(s)`);
      await ctx.routes.push();
      continue;
    }
    const waited = Date.now() - Date.parse(replica.createdAt);
    if (waited >= timeoutMs) {
      note(`replacement replica ${replica.id} did not become healthy within ${deployment.config.healthcheckTimeout} s (last check: ${probe.detail}); stopping it, the next pass tries again`);
      await stopReplicas(ctx, [replica], stopGraceMs(deployment.config));
      continue;
    }
    waiting.push(replica);
  }
  return waiting;
}
