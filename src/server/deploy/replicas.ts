import type { Deployment, ReplicaRecord } from '../../core/model.js';
import type { ReplicaSpec } from '../../core/runtime.js';
import { stopGraceMs } from '../../core/settings.js';
import type { ArtifactRecord } from '../../core/model.js';
import { replicaLogFile } from '../observe/log-paths.js';
import { appUserFor } from '../isolation/isolation.js';
import { freePort } from '../ports.js';
import { ensurePrivatePorts } from './private-ports.js';
import { newId } from '../store/ids.js';
import type { DeployContext } from './context.js';
import { placementOf } from './placement.js';
import { baseEnvironment, platformVariables } from './platform-variables.js';

// Starting and stopping replicas, with the store and the runtime kept in step: a replica is
// recorded before it starts, so a crash in between leaves a row the reconciler can clean.

export async function startReplica(ctx: DeployContext, deployment: Deployment, artifact: ArtifactRecord): Promise<ReplicaRecord> {
  const web = artifact.start.kind === 'web';
  const port = web ? await replicaPort(ctx, deployment.instanceId, artifact) : null;
  const record = ctx.store.replicas.add({
    id: newId('rep'),
    deploymentId: deployment.id,
    instanceId: deployment.instanceId,
    port,
  });
  const settings = deployment.config;
  const spec: ReplicaSpec = {
    replicaId: record.id,
    role: 'app',
    deploymentId: deployment.id,
    serviceInstanceId: deployment.instanceId,
    artifact: artifact.ref,
    ...placementOf(ctx, deployment.instanceId),
    command: artifact.start.argv,
    user: appUserFor(ctx, deployment.instanceId),
    env: {
      ...baseEnvironment(),
      ...platformVariables(ctx.options, ctx.store.projects.describeInstance(deployment.instanceId), deployment.id),
      ...deployment.variables,
      ...(port === null ? {} : { PORT: String(port) }),
      RAILWAY_REPLICA_ID: record.id,
      WHARF_REPLICA_ID: record.id,
    },
    port,
    restart: { policy: settings.restartPolicyType, maxRetries: settings.restartPolicyMaxRetries },
    liveness:
      port === null
        ? null
        : {
            path: settings.healthcheckPath,
            intervalMs: settings.livenessIntervalSeconds * 1000,
            timeoutMs: settings.livenessTimeoutSeconds * 1000,
            failureThreshold: settings.livenessFailureThreshold,
            startupTimeoutMs: settings.healthcheckTimeout * 1000,
          },
    stopGraceMs: stopGraceMs(settings),
    logFile: replicaLogFile(ctx.options.paths.logs, deployment.instanceId, deployment.id, record.id),
    secretValues: secretValuesOf(ctx, deployment),
  };
  await ctx.runtime.start(spec);
  return record;
}

/**
 * The port a replica listens on. A process shares the machine's ports, so each gets a free one;
 * a container has its own address, so all of an instance's containers listen on its private
 * port, which is what `${{api.PORT}}` and RAILWAY_PRIVATE_URL give other services on the network.
 */
async function replicaPort(ctx: DeployContext, instanceId: string, artifact: ArtifactRecord): Promise<number> {
  if (artifact.ref.kind !== 'image') return freePort();
  await ensurePrivatePorts(ctx.store, ctx.options);
  return ctx.store.projects.getInstance(instanceId).privatePort ?? freePort();
}

/**
 * Everything a deployment's logs must never show: its secret variables, and the credentials of
 * the databases its service references (so a DATABASE_URL printed by the app shows no password).
 */
export function secretValuesOf(ctx: Pick<DeployContext, 'databases'>, deployment: Deployment): Array<{ key: string; value: string }> {
  const own = deployment.secretKeys.filter((key) => deployment.variables[key] !== undefined).map((key) => ({ key, value: deployment.variables[key]! }));
  return [...own, ...(ctx.databases?.credentialSecrets(deployment.instanceId) ?? [])];
}

/** Stops replicas (SIGTERM, grace, SIGKILL) and forgets them. */
export async function stopReplicas(ctx: DeployContext, replicas: readonly ReplicaRecord[], graceMs: number): Promise<void> {
  await Promise.all(
    replicas.map(async (replica) => {
      await ctx.runtime.stop(replica.id, { graceMs });
      await ctx.runtime.remove(replica.id);
      ctx.store.replicas.delete(replica.id);
    }),
  );
}

/** Takes replicas out of the router, waits for their in-flight work, then stops them. */
export async function retireReplicas(ctx: DeployContext, replicas: readonly ReplicaRecord[], graceMs: number, log: (m: string) => void): Promise<void> {
  if (replicas.length === 0) return;
  const ids = replicas.map((r) => r.id);
  if (replicas.some((r) => r.routed)) {
    ctx.store.replicas.switchRouting([], ids);
    await ctx.routes.push();
  }
  const drain = await ctx.router.drain({ targets: ids, timeoutMs: ctx.options.drainTimeoutMs });
  log(
    drain.drained
      ? `drained ${ids.length} old replica(s) in ${(drain.waitedMs / 1000).toFixed(2)} s`
      : `drain timeout after ${Math.round(drain.waitedMs / 1000)} s with ${drain.remaining} request(s) or connection(s) still open; stopping anyway`,
  );
  await stopReplicas(ctx, replicas, graceMs);
}
