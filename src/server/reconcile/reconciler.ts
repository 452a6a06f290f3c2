import type { ReplicaRecord, ServiceInstance } from '../../core/model.js';
import type { ReplicaState, ReplicaStatus } from '../../core/runtime.js';
import { stopGraceMs } from '../../core/settings.js';
import type { DeployContext } from '../deploy/context.js';
import { waitReady } from '../deploy/readiness.js';
import { emitDeploymentEvent } from '../deploy/events.js';
import { retireReplicas, startReplica } from '../deploy/replicas.js';
import { lastLines } from '../observe/log-file.js';
import { replicaLogFile } from '../observe/log-paths.js';
import { serviceHost } from '../options.js';

const ALIVE: ReadonlySet<ReplicaState> = new Set(['starting', 'running', 'restarting']);
const GONE: ReadonlySet<ReplicaState> = new Set(['lost', 'stopped']);

/**
 * Desired state (the store) against actual state (the runtime), repaired on every pass from
 * full snapshots: replicas nobody wants are stopped, lost ones replaced, a deployment whose
 * replicas all crashed is marked CRASHED, and the router gets the table that follows.
 * Instances with an operation in progress are left to that operation.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private pass_: Promise<void> | undefined;

  constructor(
    private readonly ctx: DeployContext,
    private readonly ensureRouter: () => Promise<unknown>,
    /** Runs after every pass (the cron scheduler re-reads its jobs). */
    private readonly afterPass: () => void = () => undefined,
  ) {}

  start(): void {
    const tick = () => {
      this.timer = setTimeout(async () => {
        await this.pass().catch((error) => this.ctx.logger.error({ err: error }, 'reconcile pass failed'));
        if (this.timer) tick();
      }, this.ctx.options.reconcileIntervalMs);
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.pass_;
  }

  /** One pass; concurrent callers share it. */
  pass(): Promise<void> {
    this.pass_ ??= this.runPass().finally(() => (this.pass_ = undefined));
    return this.pass_;
  }

  private async runPass(): Promise<void> {
    const { store, runtime, locks } = this.ctx;
    await this.ensureRouter();
    const statuses = await runtime.list();
    const byId = new Map(statuses.map((s) => [s.replicaId, s]));
    const known = new Set(store.replicas.all().map((r) => r.id));

    for (const status of statuses) {
      // Database servers are the database manager's, not deployments'.
      if (status.deploymentId === 'database') continue;
      if (!known.has(status.replicaId) && !locks.isBusy(status.serviceInstanceId)) {
        this.ctx.logger.warn({ replicaId: status.replicaId }, 'stopping a replica the store does not know');
        await runtime.stop(status.replicaId, { graceMs: 5000 });
        await runtime.remove(status.replicaId);
      }
    }
    for (const instance of store.projects.listInstances()) {
      if (locks.isBusy(instance.id)) continue;
      await locks.run(instance.id, () => this.repair(instance.id, byId)).catch((error) =>
        this.ctx.logger.error({ err: error, instanceId: instance.id }, 'could not repair a service instance'),
      );
    }
    await this.ctx.routes.pushIfChanged();
    this.afterPass();
  }

  private async repair(instanceId: string, byId: Map<string, ReplicaStatus>): Promise<void> {
    const { store, runtime } = this.ctx;
    const instance: ServiceInstance = store.projects.getInstance(instanceId);
    const replicas = store.replicas.forInstance(instanceId);
    const activeId = instance.activeDeploymentId;
    const note = (m: string) => (activeId ? store.deployments.note(activeId, m) : undefined);

    const kind = store.projects.describeInstance(instanceId).service.kind;
    if (kind === 'database') return;
    const cron = kind === 'cron';
    // A cron service keeps no replicas: anything left from when it was a web service goes.
    const stale = replicas.filter((r) => cron || r.deploymentId !== activeId || (!r.routed && isAlive(byId.get(r.id))));
    if (stale.length > 0) {
      await retireReplicas(this.ctx, stale, 5000, () => undefined);
    }
    if (!activeId || cron) return;
    const active = store.deployments.get(activeId);
    const current = replicas.filter((r) => r.deploymentId === activeId && r.routed);

    for (const replica of current) {
      const status = byId.get(replica.id);
      if (!status || GONE.has(status.state)) {
        note(`replica ${replica.id} was lost; replacing it`);
        await runtime.remove(replica.id);
        store.replicas.delete(replica.id);
      }
    }
    const remaining = store.replicas.forInstance(instanceId).filter((r) => r.deploymentId === activeId && r.routed);
    const alive = remaining.filter((r) => isAlive(byId.get(r.id)));
    const ended = remaining.filter((r) => !isAlive(byId.get(r.id)));

    if (active.status === 'ACTIVE' && alive.length === 0 && ended.length > 0) {
      await this.markCrashed(active.id, active.instanceId, ended[0]!, byId.get(ended[0]!.id));
      return;
    }
    if (active.status !== 'ACTIVE') return;

    const want = active.config.numReplicas;
    if (alive.length + ended.length < want) {
      await this.addReplicas(instanceId, want - alive.length - ended.length);
    } else if (alive.length > want) {
      await retireReplicas(this.ctx, alive.slice(want), stopGraceMs(active.config), note);
    }
  }

  private async addReplicas(instanceId: string, count: number): Promise<void> {
    const { store } = this.ctx;
    const instance = store.projects.getInstance(instanceId);
    const deployment = store.deployments.get(instance.activeDeploymentId!);
    const artifact = deployment.artifactId ? store.artifacts.find(deployment.artifactId) : null;
    if (!artifact || artifact.removedAt) return;
    const names = store.projects.describeInstance(instanceId);
    const host = serviceHost(this.ctx.options, { project: names.project.name, environment: names.environment.name, service: names.service.name });
    for (let i = 0; i < count; i++) {
      const replica = await startReplica(this.ctx, deployment, artifact);
      try {
        await waitReady(this.ctx.runtime, {
          replicaId: replica.id,
          port: replica.port,
          path: deployment.config.healthcheckPath,
          host,
          timeoutMs: deployment.config.healthcheckTimeout * 1000,
          onProgress: (m) => store.deployments.note(deployment.id, m),
        });
        store.replicas.switchRouting([replica.id], []);
        store.deployments.note(deployment.id, `replica ${replica.id} started to bring the deployment back to ${deployment.config.numReplicas} replica(s)`);
        await this.ctx.routes.push();
      } catch {
        // Recorded but unrouted: the next pass retires it and tries again.
        store.deployments.note(deployment.id, `replacement replica ${replica.id} did not become healthy`);
      }
    }
  }

  private async markCrashed(deploymentId: string, instanceId: string, replica: ReplicaRecord, status: ReplicaStatus | undefined): Promise<void> {
    const lines = await lastLines(replicaLogFile(this.ctx.options.paths.logs, instanceId, deploymentId, replica.id), 15);
    const how = status?.exitSignal ? `killed by ${status.exitSignal}` : `exited with code ${status?.exitCode ?? '?'}`;
    const reason = `the app ${how} after ${status?.restarts ?? 0} restart(s); the restart policy gave up`;
    const withLines = lines.length > 0 ? `${reason}\nlast log lines:\n${lines.map((l) => `  | ${l}`).join('\n')}` : reason;
    this.ctx.store.deployments.setStatus(deploymentId, 'CRASHED', `deployment crashed: ${reason}`, withLines);
    emitDeploymentEvent(this.ctx.store, this.ctx.store.deployments.get(deploymentId), 'service.crashed', 'error', reason, { restarts: status?.restarts ?? 0 });
  }


}

function isAlive(status: ReplicaStatus | undefined): boolean {
  return status !== undefined && ALIVE.has(status.state);
}
