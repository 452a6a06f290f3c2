import type { ReplicaRecord } from '../../core/model.js';
import type { ReplicaStatus } from '../../core/runtime.js';
import type { DeployContext } from '../deploy/context.js';
import { emitDeploymentEvent } from '../deploy/events.js';
import { lastLines } from '../observe/log-file.js';
import { replicaLogFile } from '../observe/log-paths.js';

// A live deployment none of whose replicas runs any more. If every one exited 0 the app did
// its work (ON_FAILURE and NEVER do not restart a clean exit): EXITED and service.exited, for
// the record. Otherwise the restart policy gave up on a failure: CRASHED and service.crashed.

export async function markEnded(ctx: DeployContext, deploymentId: string, ended: readonly ReplicaRecord[], byId: ReadonlyMap<string, ReplicaStatus>): Promise<void> {
  const crashed = ended.find((r) => byId.get(r.id)?.state !== 'exited');
  const replica = crashed ?? ended[0]!;
  const status = byId.get(replica.id);
  const deployment = ctx.store.deployments.get(deploymentId);
  const lines = await lastLines(replicaLogFile(ctx.options.paths.logs, deployment.instanceId, deploymentId, replica.id), 15);
  const withLines = (reason: string) => (lines.length > 0 ? `${reason}\nlast log lines:\n${lines.map((l) => `  | ${l}`).join('\n')}` : reason);
  const restarts = status?.restarts ?? 0;
  if (!crashed) {
    const reason = `the app exited with code 0 after ${restarts} restart(s): its work is done (restart policy ${deployment.config.restartPolicyType} does not restart a clean exit)`;
    ctx.store.deployments.setStatus(deploymentId, 'EXITED', `deployment exited: ${reason}`, withLines(reason));
    emitDeploymentEvent(ctx.store, ctx.store.deployments.get(deploymentId), 'service.exited', 'info', reason, { restarts, exitCode: 0 });
    return;
  }
  const how = status?.lastReason?.startsWith('liveness') ? `'s ${status.lastReason}` : status?.exitSignal ? ` killed by ${status.exitSignal}` : ` exited with code ${status?.exitCode ?? '?'}`;
  const reason = `the app${how} after ${restarts} restart(s); the restart policy gave up`;
  ctx.store.deployments.setStatus(deploymentId, 'CRASHED', `deployment crashed: ${reason}`, withLines(reason));
  emitDeploymentEvent(ctx.store, ctx.store.deployments.get(deploymentId), 'service.crashed', 'error', reason, { restarts, replica: replica.id });
}
