import type { Deployment, DeploymentTrigger, Project } from '../../core/model.js';
import { policyConfigFromEnv, runDoctor } from '../policy/doctor.js';
import { parseSchedule } from '../../shared/cron-schedule.js';
import { WharfError } from '../../core/errors.js';
import { DEFAULT_SETTINGS, serviceSettingsSchema, stopGraceMs, type ServiceSettings, type ServiceSettingsPatch } from '../../core/settings.js';
import type { DeployContext } from './context.js';
import { runDeployment } from './pipeline.js';
import { assertHostFree } from './host-conflicts.js';
import { ensurePrivatePorts } from './private-ports.js';
import { serviceSource } from './source-root.js';
import { environmentScope, snapshotVariables, type VariablesSnapshot } from './variables-snapshot.js';
import { deployWaves } from '../apply/deploy-order.js';
import { retireReplicas } from './replicas.js';
import { rollout } from './rollout.js';

export interface RailwayConfigReader {
  (sourceDir: string, environmentName: string): Promise<{ file: string | null; settings: ServiceSettingsPatch; warnings: string[] }>;
}

/**
 * What users ask for (up, redeploy, rollback, restart, down), turned into deployments and
 * queued one at a time per service instance. Each call returns once the request is recorded;
 * the work goes on in the background and its progress is in the deployment's events and log.
 */
export class Deployer {
  private readonly running = new Map<string, Promise<Deployment>>();

  constructor(
    private readonly ctx: DeployContext,
    private readonly readRailwayConfig: RailwayConfigReader,
  ) {}

  /** A new deployment of uploaded source (settings from the store, overridden by railway.json/toml). */
  async deploySource(instanceId: string, sourceDigest: string, trigger: DeploymentTrigger = 'up', after?: Promise<unknown>): Promise<Deployment> {
    const { store, builds } = this.ctx;
    await ensurePrivatePorts(store, this.ctx.options);
    const context = store.projects.describeInstance(instanceId);
    const { railway, config } = await this.sourceConfig(sourceDigest, context.instance.settings, context.environment.name);
    // Railway's rule: a cronSchedule makes the service a cron job.
    if (config.cronSchedule && context.service.kind !== 'cron') store.projects.setServiceKind(context.service.id, 'cron');
    const warnings = [...railway.warnings, ...(await this.checkPolicy(context.environment.production, context.project))];
    if (railway.file) warnings.unshift(`settings from ${railway.file} override the service settings for this deployment`);
    return this.enqueue(instanceId, { trigger, sourceDigest, artifactId: null, config, warnings, rollbackOf: null, after });
  }

  /**
   * What deploySource reads from the source before it records anything (railway.json/toml over
   * the settings), for a service not created yet: a source refused for its config makes none.
   */
  async checkSourceForNewService(sourceDigest: string, environmentName: string): Promise<void> {
    await this.sourceConfig(sourceDigest, DEFAULT_SETTINGS, environmentName);
  }

  private async sourceConfig(sourceDigest: string, settings: ServiceSettings, environmentName: string) {
    const root = serviceSource(this.ctx.builds.sourceDir(sourceDigest), settings.rootDirectory);
    const railway = await this.readRailwayConfig(root.path, environmentName);
    const config = serviceSettingsSchema.parse({ ...settings, ...railway.settings });
    if (config.cronSchedule) parseSchedule(config.cronSchedule);
    return { railway, config };
  }

  /**
   * Deploys the services of one environment from one upload, in waves: a service that
   * references another waits until that one has finished deploying (Railway's batch order).
   * Cron services are left to the scheduler.
   */
  async deployEnvironment(projectId: string, environmentId: string, sourceDigest: string, only?: readonly string[]): Promise<Deployment[]> {
    const { store } = this.ctx;
    const services = store.projects.listServices(projectId).filter((s) => s.kind !== 'cron' && s.kind !== 'database' && (!only || only.includes(s.name)));
    if (services.length === 0) throw new WharfError('NOT_FOUND', 'no service to deploy', { hint: 'Declare services in wharf.toml (or render.yaml), or pass --service.' });
    const waves = deployWaves(this.ctx, environmentId);
    const placed = new Set(waves.flat());
    const ordered = [...waves, services.map((s) => s.name).filter((n) => !placed.has(n))];
    const created: Deployment[] = [];
    let previous: Promise<unknown> = Promise.resolve();
    for (const wave of ordered) {
      const settling: Array<Promise<unknown>> = [];
      for (const name of wave) {
        const service = services.find((s) => s.name === name);
        if (!service) continue;
        const instance = store.projects.findInstance(service.id, environmentId)!;
        const deployment = await this.deploySource(instance.id, sourceDigest, 'up', previous);
        created.push(deployment);
        settling.push(this.settled(deployment.id));
      }
      if (settling.length > 0) previous = Promise.allSettled(settling);
    }
    return created;
  }

  /**
   * Before a deploy to production: the environment policy (`wharf doctor`). Blocking findings
   * refuse the deploy; the others become the deployment's warnings.
   */
  private async checkPolicy(production: boolean, project: Project): Promise<string[]> {
    const config = policyConfigFromEnv();
    if (!production || !config) return [];
    const findings = await runDoctor(this.ctx, project, config);
    const blocking = findings.filter((f) => f.severity === 'block');
    if (blocking.length > 0) {
      throw new WharfError('CONFLICT', `the environment policy blocks deploying to production: ${blocking.map((f) => f.message).join('; ')}`, {
        hint: `${blocking[0]!.hint} Run \`wharf doctor\` for every finding; WHARF_POLICY=warn on the server turns blocks into warnings.`,
      });
    }
    return findings.map((f) => `policy (${f.rule}): ${f.message}`);
  }

  /** Rebuilds the latest deployment's source with today's settings and variables. */
  async redeploy(instanceId: string): Promise<Deployment> {
    const latest = this.ctx.store.deployments.listForInstance(instanceId, 1)[0];
    if (!latest) throw new WharfError('NOT_FOUND', 'this service has never been deployed', { hint: 'Deploy it first with `wharf up`.' });
    return this.deploySource(instanceId, latest.sourceDigest, 'redeploy');
  }

  /** Re-activates an earlier deployment's kept artifact, config and variables: no rebuild. */
  rollback(instanceId: string, targetId?: string): Deployment {
    const { store } = this.ctx;
    const target = targetId ? this.findTarget(instanceId, targetId) : this.previousLive(instanceId);
    const artifact = target.artifactId ? store.artifacts.find(target.artifactId) : null;
    if (!artifact || artifact.removedAt) {
      throw new WharfError('ARTIFACT_GONE', `deployment #${target.number} has no kept build to roll back to`, {
        hint: 'Only the last builds are kept (WHARF_KEEP_ARTIFACTS); redeploy that source with `wharf up` instead.',
      });
    }
    return this.enqueue(instanceId, {
      trigger: 'rollback',
      sourceDigest: target.sourceDigest,
      artifactId: artifact.id,
      config: target.config,
      snapshot: { values: target.variables, secretKeys: target.secretKeys },
      warnings: [],
      rollbackOf: target.id,
    });
  }

  /** Replaces the active deployment's replicas with fresh ones, through the zero-downtime path. */
  restart(instanceId: string): Promise<Deployment> {
    const { store } = this.ctx;
    const active = this.activeDeployment(instanceId);
    const artifact = active.artifactId ? store.artifacts.find(active.artifactId) : null;
    if (!artifact) throw new WharfError('ARTIFACT_GONE', 'the active deployment has no kept build', { hint: 'Redeploy with `wharf redeploy`.' });
    return this.ctx.locks.run(instanceId, async () => {
      store.deployments.note(active.id, 'restart requested');
      await rollout(this.ctx, active, artifact, (m) => store.deployments.note(active.id, m), () => {
        if (store.deployments.get(active.id).status !== 'ACTIVE') store.deployments.setStatus(active.id, 'ACTIVE', 'restarted');
      });
      return store.deployments.get(active.id);
    });
  }

  /** Stops the service's deployment and takes its route away (`wharf down`). */
  down(instanceId: string): Promise<Deployment> {
    const { store } = this.ctx;
    const active = this.activeDeployment(instanceId);
    return this.ctx.locks.run(instanceId, async () => {
      const replicas = store.replicas.forInstance(instanceId);
      await retireReplicas(this.ctx, replicas, stopGraceMs(active.config), (m) => store.deployments.note(active.id, m));
      store.db.transaction(() => {
        store.projects.setActiveDeployment(instanceId, null);
        store.deployments.setStatus(active.id, 'REMOVED', 'removed with `wharf down`');
      }).immediate();
      await this.ctx.routes.push();
      return store.deployments.get(active.id);
    });
  }

  /** Stops everything an instance runs, whatever its state (deleting an environment). */
  stopAll(instanceId: string): Promise<void> {
    const { store } = this.ctx;
    return this.ctx.locks.run(instanceId, async () => {
      const activeId = store.projects.getInstance(instanceId).activeDeploymentId;
      await retireReplicas(this.ctx, store.replicas.forInstance(instanceId), 10_000, () => undefined);
      store.db.transaction(() => {
        store.projects.setActiveDeployment(instanceId, null);
        if (activeId) store.deployments.setStatus(activeId, 'REMOVED', 'environment deleted');
      }).immediate();
    });
  }

  /** Resolves when the deployment's pipeline has finished (for the API's `?wait` and tests). */
  settled(deploymentId: string): Promise<Deployment> {
    return this.running.get(deploymentId) ?? Promise.resolve(this.ctx.store.deployments.get(deploymentId));
  }

  isRunning(deploymentId: string): boolean {
    return this.running.has(deploymentId);
  }

  private enqueue(
    instanceId: string,
    input: { trigger: DeploymentTrigger; sourceDigest: string; artifactId: string | null; config: ServiceSettings; warnings: string[]; rollbackOf: string | null; snapshot?: VariablesSnapshot; after?: Promise<unknown> },
  ): Deployment {
    const { store } = this.ctx;
    assertHostFree(store, this.ctx.options, instanceId);
    const snapshot = input.snapshot ?? snapshotVariables(this.ctx, instanceId);
    const deployment = store.db.transaction(() =>
      store.deployments.create({
        instanceId,
        number: store.projects.takeDeploymentNumber(instanceId),
        trigger: input.trigger,
        sourceDigest: input.sourceDigest,
        artifactId: input.artifactId,
        config: input.config,
        variables: snapshot.values,
        secretKeys: snapshot.secretKeys,
        warnings: input.warnings,
        rollbackOf: input.rollbackOf,
      }),
    ).immediate();
    const after = input.after ?? Promise.resolve();
    const work = this.ctx.locks.run(instanceId, async () => {
      await after.catch(() => undefined);
      return runDeployment(this.ctx, deployment.id);
    });
    this.running.set(deployment.id, work);
    void work.finally(() => this.running.delete(deployment.id));
    return deployment;
  }

  private activeDeployment(instanceId: string): Deployment {
    const activeId = this.ctx.store.projects.getInstance(instanceId).activeDeploymentId;
    if (!activeId) throw new WharfError('NOT_FOUND', 'this service has no active deployment', { hint: 'Deploy it with `wharf up`.' });
    return this.ctx.store.deployments.get(activeId);
  }

  private findTarget(instanceId: string, idOrNumber: string): Deployment {
    const { deployments } = this.ctx.store;
    const found = /^\d+$/.test(idOrNumber) ? deployments.findByNumber(instanceId, Number(idOrNumber)) : deployments.find(idOrNumber);
    if (!found || found.instanceId !== instanceId) {
      throw new WharfError('NOT_FOUND', `deployment '${idOrNumber}' is not a deployment of this service`, { hint: 'List them with `wharf deployments`.' });
    }
    if (!deployments.reachedActive(found.id)) {
      throw new WharfError('CONFLICT', `deployment #${found.number} never went live, so it cannot be rolled back to`, { hint: 'Pick one that was ACTIVE from `wharf deployments`.' });
    }
    return found;
  }

  private previousLive(instanceId: string): Deployment {
    const { store } = this.ctx;
    const activeId = store.projects.getInstance(instanceId).activeDeploymentId;
    const candidates = store.deployments.listForInstance(instanceId, 200);
    const activeNumber = activeId ? store.deployments.get(activeId).number : Infinity;
    const target = candidates.find(
      (d) => d.id !== activeId && d.number < activeNumber && d.artifactId !== null && store.deployments.reachedActive(d.id) && !store.artifacts.find(d.artifactId)?.removedAt,
    );
    if (!target) throw new WharfError('NOT_FOUND', 'there is no earlier live deployment to roll back to', { hint: 'List deployments with `wharf deployments`.' });
    return target;
  }
}
