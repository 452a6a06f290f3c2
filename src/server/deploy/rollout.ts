import { setTimeout as sleep } from 'node:timers/promises';
import type { ArtifactRecord, Deployment, ReplicaRecord } from '../../core/model.js';
import { stopGraceMs } from '../../core/settings.js';
import { lastLines } from '../observe/log-file.js';
import { replicaLogFile } from '../observe/log-paths.js';
import { serviceHost } from '../options.js';
import type { DeployContext } from './context.js';
import { NotReadyError, ReplicaEndedError, waitReady } from './readiness.js';
import { retireReplicas, startReplica, stopReplicas } from './replicas.js';

/** A rollout that did not go live: the old replicas were never touched. */
export class RolloutError extends Error {
  constructor(
    message: string,
    readonly status: 'FAILED' | 'CRASHED',
    readonly lastLogLines: string[],
  ) {
    super(message);
  }
}

/**
 * The zero-downtime handoff, in the order kamal-proxy uses: start the new replicas beside the
 * old, wait until each is healthy, swap the router's whole target set at once, let the old
 * replicas' in-flight requests finish, then SIGTERM them. Any failure before the swap stops
 * only the new replicas; the old ones never stop serving.
 *
 * `onSwap` runs in the same breath as the routing switch, so the store never says one
 * deployment is active while the router serves another.
 */
export interface RolloutHooks {
  /** After the new replicas are healthy, before any traffic moves: a throw stops only them. */
  beforeSwitch?: (started: ReplicaRecord[]) => Promise<void>;
  /** Right after the switch, while the old replicas still run: a throw moves traffic back. */
  afterSwitch?: () => Promise<void>;
  /** Undoes onSwap's bookkeeping when traffic moves back. */
  onSwapBack?: () => void;
}

export async function rollout(
  ctx: DeployContext,
  deployment: Deployment,
  artifact: ArtifactRecord,
  log: (message: string) => void,
  onSwap: () => void,
  hooks: RolloutHooks = {},
): Promise<void> {
  const old = ctx.store.replicas.forInstance(deployment.instanceId).filter((r) => r.deploymentId !== deployment.id || r.routed);
  const names = ctx.store.projects.describeInstance(deployment.instanceId);
  const host = serviceHost(ctx.options, { project: names.project.name, environment: names.environment.name, service: names.service.name });
  const settings = deployment.config;
  const started: ReplicaRecord[] = [];

  try {
    log(`starting ${settings.numReplicas} replica(s)`);
    for (let i = 0; i < settings.numReplicas; i++) started.push(await startReplica(ctx, deployment, artifact));
    const what = artifact.start.kind === 'worker' ? 'to start' : settings.healthcheckPath ? `for ${settings.healthcheckPath} to answer 2xx` : 'for the port to accept connections';
    log(`waiting ${what} (timeout ${settings.healthcheckTimeout} s)`);
    await Promise.all(
      started.map((replica) =>
        waitReady(ctx.runtime, {
          replicaId: replica.id,
          port: replica.port,
          path: settings.healthcheckPath,
          host,
          timeoutMs: settings.healthcheckTimeout * 1000,
          onProgress: log,
        }),
      ),
    );
    log(`${started.length} replica(s) healthy`);
    await hooks.beforeSwitch?.(started);
  } catch (error) {
    const failure = await describeFailure(ctx, deployment, started, error);
    await stopReplicas(ctx, started, 2000);
    throw failure;
  }

  ctx.store.db.transaction(() => {
    ctx.store.replicas.switchRouting(started.map((r) => r.id), old.map((r) => r.id));
    onSwap();
  }).immediate();
  await ctx.routes.push();
  log(`traffic switched to deployment #${deployment.number}`);

  if (hooks.afterSwitch) {
    try {
      await hooks.afterSwitch();
    } catch (error) {
      // The old replicas never stopped: traffic goes back to them at once.
      ctx.store.db.transaction(() => {
        ctx.store.replicas.switchRouting(old.map((r) => r.id), started.map((r) => r.id));
        hooks.onSwapBack?.();
      }).immediate();
      await ctx.routes.push();
      log(old.length > 0 ? 'traffic moved back to the previous deployment' : 'no previous deployment to move traffic back to');
      await retireReplicas(ctx, started, 2000, log);
      throw error;
    }
  }

  if (settings.overlapSeconds > 0 && old.length > 0) {
    log(`keeping the previous replicas for ${settings.overlapSeconds} s (overlapSeconds)`);
    await sleep(settings.overlapSeconds * 1000);
  }
  await retireReplicas(ctx, old, stopGraceMs(settings), log);
}

async function describeFailure(ctx: DeployContext, deployment: Deployment, started: ReplicaRecord[], error: unknown): Promise<Error> {
  const logsOf = async (replicaId: string) =>
    lastLines(replicaLogFile(ctx.options.paths.logs, deployment.instanceId, deployment.id, replicaId), 15);
  if (error instanceof ReplicaEndedError) {
    const s = error.status;
    const how = s.exitSignal ? `was killed by ${s.exitSignal}` : s.exitCode !== null ? `exited with code ${s.exitCode}` : 'ended';
    const message =
      s.state === 'crashed'
        ? `the app ${how} and crashed after ${s.restarts} restart(s) (restart policy ${deployment.config.restartPolicyType}, max ${deployment.config.restartPolicyMaxRetries})`
        : `the app ${how} before it became healthy`;
    return new RolloutError(message, s.state === 'crashed' ? 'CRASHED' : 'FAILED', await logsOf(s.replicaId));
  }
  if (error instanceof NotReadyError) {
    const path = deployment.config.healthcheckPath;
    const message = path
      ? `health check ${path} did not answer 2xx within ${deployment.config.healthcheckTimeout} s (last: ${error.lastDetail})`
      : `the app did not accept connections on $PORT within ${deployment.config.healthcheckTimeout} s (last: ${error.lastDetail})`;
    return new RolloutError(message, 'FAILED', started[0] ? await logsOf(started[0].id) : []);
  }
  return error instanceof Error ? error : new Error(String(error));
}
