import type { ReplicaRecord, ServiceInstance } from '../../core/model.js';
import type { ReplicaState, ReplicaStatus } from '../../core/runtime.js';
import { stopGraceMs } from '../../core/settings.js';
import type { DeployContext } from '../deploy/context.js';
import { retireReplicas, startReplica } from '../deploy/replicas.js';
import { serviceHost } from '../options.js';
import { markEnded } from './ended.js';
import { ReplicaEvents } from './replica-events.js';
import { checkReplacements } from './replacements.js';

const ALIVE: ReadonlySet<ReplicaState> = new Set(['starting', 'running', 'unhealthy', 'restarting']);
const GONE: ReadonlySet<ReplicaState> = new Set(['lost', 'stopped']);

/**
 * Desired state (the store) against actual state (the runtime), repaired on every pass from
 * full snapshots: replicas nobody wants are stopped, lost ones replaced, a deployment whose
 * replicas all ended is marked CRASHED (or EXITED after clean exits), what replicas go through
 * becomes events, and the router gets the table that follows.
 *
 * A pass never waits on a repair: each instance's repair runs on its own (under the instance's
 * lock, so deploys and repairs of one instance take turns) and a pass starts one only where none
 * is running. A repair itself never waits for health: it starts replacements and a later pass
 * checks on them (replacements.ts). Instances with an operation in progress are left to it.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private pass_: Promise<void> | undefined;
  private readonly repairs = new Map<string, Promise<void>>();
  private readonly events: ReplicaEvents;

  constructor(
    private readonly ctx: DeployContext,
    private readonly ensureRouter: () => Promise<unknown>,
    /** Runs after every pass (the cron scheduler re-reads its jobs). */
    private readonly afterPass: () => void = () => undefined,
  ) {
    this.events = new ReplicaEvents(ctx.store);
  }

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
    await this.idle();
  }

  /** Resolves when the repairs started so far have finished. */
  async idle(): Promise<void> {
    while (this.repairs.size > 0) await Promise.allSettled([...this.repairs.values()]);
  }

  /** One pass; concurrent callers share it. It starts repairs and does not wait for them. */
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
    try {
      this.events.observe(statuses);
    } catch (error) {
      this.ctx.logger.error({ err: error }, 'could not record replica events');
    }

    for (const status of statuses) {
      // Database servers are the database manager's, not deployments'.
      if (status.role === 'database') continue;
      if (!known.has(status.replicaId) && !locks.isBusy(status.serviceInstanceId)) {
        this.background(`unknown:${status.replicaId}`, async () => {
          this.ctx.logger.warn({ replicaId: status.replicaId }, 'stopping a replica the store does not know');
          await runtime.stop(status.replicaId, { graceMs: 5000 });
          await runtime.remove(status.replicaId);
        });
      }
    }
    for (const instance of store.projects.listInstances()) {
      if (locks.isBusy(instance.id) || this.repairs.has(instance.id)) continue;
      this.background(instance.id, () => locks.run(instance.id, () => this.repair(instance.id, byId)));
    }
    // Replicas that stopped serving (unhealthy, restarting) leave the table now, not when a repair ends.
    await this.ctx.routes.pushIfChanged();
    this.afterPass();
  }

  /** Runs `work` unless work under the same key still runs; a failure is logged, never thrown. */
  private background(key: string, work: () => Promise<void>): void {
    if (this.repairs.has(key)) return;
    const run = work()
      .then(() => this.ctx.routes.pushIfChanged())
      .catch((error) => this.ctx.logger.error({ err: error, key }, 'could not repair a service instance'))
      .finally(() => this.repairs.delete(key));
    this.repairs.set(key, run);
  }

  private async repair(instanceId: string, byId: Map<string, ReplicaStatus>): Promise<void> {
    const { store, runtime } = this.ctx;
    const instance: ServiceInstance = store.projects.getInstance(instanceId);
    const replicas = store.replicas.forInstance(instanceId);
    const activeId = instance.activeDeploymentId;
    const note = (m: string) => (activeId ? store.deployments.note(activeId, m) : undefined);

    const names = store.projects.describeInstance(instanceId);
    const kind = names.service.kind;
    if (kind === 'database') return;
    const cron = kind === 'cron';
    // A cron service keeps no replicas: anything left from when it was a web service goes.
    const stale = replicas.filter((r) => cron || r.deploymentId !== activeId);
    if (stale.length > 0) {
      await retireReplicas(this.ctx, stale, 5000, () => undefined);
    }
    if (!activeId || cron) return;
    const active = store.deployments.get(activeId);
    const current = replicas.filter((r) => r.deploymentId === activeId);

    for (const replica of current.filter((r) => r.routed)) {
      const status = byId.get(replica.id);
      if (!status || GONE.has(status.state)) {
        note(`replica ${replica.id} was lost; replacing it`);
        await runtime.remove(replica.id);
        store.replicas.delete(replica.id);
      }
    }
    const host = serviceHost(this.ctx.options, { project: names.project.name, environment: names.environment.name, service: names.service.name });
    // Unrouted replicas of the live deployment are replacements a pass started (or a restart left).
    const pending = current.filter((r) => !r.routed);
    if (active.status !== 'ACTIVE') {
      // It crashed or exited meanwhile: no replacement is wanted any more.
      await retireReplicas(this.ctx, pending, stopGraceMs(active.config), note);
      return;
    }
    const waiting = await checkReplacements(this.ctx, active, pending, byId, host);

    const routed = store.replicas.forInstance(instanceId).filter((r) => r.deploymentId === activeId && r.routed);
    // Replicas routed just now (in checkReplacements) are alive: they answered their probe.
    const alive = routed.filter((r) => isAlive(byId.get(r.id)) || pending.some((p) => p.id === r.id));
    const ended = routed.filter((r) => !alive.includes(r));

    if (alive.length === 0 && ended.length > 0 && waiting.length === 0) {
      await markEnded(this.ctx, active.id, ended, byId);
      return;
    }

    const want = active.config.numReplicas;
    const have = alive.length + ended.length + waiting.length;
    if (have < want) {
      await this.startReplacements(active.id, want - have);
    } else if (alive.length > want) {
      await retireReplicas(this.ctx, alive.slice(want), stopGraceMs(active.config), note);
    } else if (have > want && waiting.length > 0) {
      await retireReplicas(this.ctx, waiting.slice(0, have - want), stopGraceMs(active.config), note);
    }
  }

  /** Starts replicas without waiting for them: later passes route them once healthy. */
  private async startReplacements(deploymentId: string, count: number): Promise<void> {
    const { store } = this.ctx;
    const deployment = store.deployments.get(deploymentId);
    const artifact = deployment.artifactId ? store.artifacts.find(deployment.artifactId) : null;
    if (!artifact || artifact.removedAt) return;
    for (let i = 0; i < count; i++) {
      const replica: ReplicaRecord = await startReplica(this.ctx, deployment, artifact);
      store.deployments.note(deployment.id, `replacement replica ${replica.id} started; it is routed once healthy (up to ${deployment.config.healthcheckTimeout} s)`);
    }
  }
}

function isAlive(status: ReplicaStatus | undefined): boolean {
  return status !== undefined && ALIVE.has(status.state);
}
