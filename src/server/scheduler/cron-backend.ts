import path from 'node:path';
import type { DeployContext } from '../deploy/context.js';
import { emitDeploymentEvent } from '../deploy/events.js';
import { appUserFor } from '../isolation/isolation.js';
import { jobEnvironment } from '../deploy/pre-deploy.js';
import { placementOf } from '../deploy/placement.js';
import { secretValuesOf } from '../deploy/replicas.js';
import type { ServiceInstance } from '../../core/model.js';
import type { CronRunStatus } from '../store/cron-runs.js';
import type { Store } from '../store/store.js';
import type { CronBackend, CronJobDefinition, CronRunHandle, RunReason } from './scheduler.js';

/**
 * A cron service's job: the schedule set on the service, else the one its live deployment's
 * railway.json/toml declared; the other cron settings take effect at once.
 */
export function cronJobOf(store: Store, instance: ServiceInstance): CronJobDefinition | null {
  if (!instance.activeDeploymentId || store.projects.getService(instance.serviceId).kind !== 'cron') return null;
  const schedule = instance.settings.cronSchedule ?? store.deployments.get(instance.activeDeploymentId).config.cronSchedule;
  if (!schedule) return null;
  return {
    jobId: instance.id,
    schedule,
    concurrencyPolicy: instance.settings.cronConcurrencyPolicy,
    timeoutSeconds: instance.settings.cronTimeoutSeconds,
    runMissed: instance.settings.cronRunMissed,
  };
}

/** Cron runs with no timeout of their own still end some day. */
const DEFAULT_RUN_TIMEOUT_MS = 24 * 3600 * 1000;

/**
 * The scheduler's hands: which cron services exist, and running each run as a one-off job
 * through the Runtime, from the service's live build (never inside a web replica, so a cron
 * runs while its web service is down), with every run, skip and miss recorded.
 */
export class StoreCronBackend implements CronBackend {
  private readonly aborts = new Map<string, { controller: AbortController; why: 'replaced' | 'timeout' | null }>();

  constructor(private readonly ctx: DeployContext) {}

  jobs(): CronJobDefinition[] {
    const { store } = this.ctx;
    const jobs: CronJobDefinition[] = [];
    for (const instance of store.projects.listInstances()) {
      const job = cronJobOf(store, instance);
      if (job) jobs.push(job);
    }
    return jobs;
  }

  lastScheduledAt(jobId: string): Date | null {
    return this.ctx.store.cronRuns.lastScheduledAt(jobId);
  }

  running(jobId: string): Array<{ runId: string }> {
    return this.ctx.store.cronRuns.running(jobId).map((r) => ({ runId: r.id }));
  }

  async start(jobId: string, scheduledAt: Date, reason: RunReason): Promise<CronRunHandle> {
    const { store, runtime, options } = this.ctx;
    const instance = store.projects.getInstance(jobId);
    const deployment = store.deployments.get(instance.activeDeploymentId!);
    const artifact = store.artifacts.find(deployment.artifactId!);
    if (!artifact || artifact.removedAt) throw new Error(`deployment #${deployment.number} has no kept build to run`);
    const runId = store.cronRuns.newId();
    const logFile = path.join(options.paths.logs, instance.id, 'cron', `${runId}.log`);
    store.cronRuns.start({ id: runId, instanceId: instance.id, deploymentId: deployment.id, scheduledAt, reason, logFile });
    const abort = { controller: new AbortController(), why: null as 'replaced' | 'timeout' | null };
    this.aborts.set(runId, abort);
    const timeoutMs = instance.settings.cronTimeoutSeconds ? instance.settings.cronTimeoutSeconds * 1000 : DEFAULT_RUN_TIMEOUT_MS;
    const done = runtime
      .run({
        jobId: runId,
        serviceInstanceId: instance.id,
        artifact: artifact.ref,
        ...placementOf(this.ctx, instance.id),
        command: artifact.start.argv,
        user: appUserFor(this.ctx, instance.id),
        env: { ...jobEnvironment(this.ctx, deployment, { migration: false }), WHARF_CRON_RUN_ID: runId, WHARF_CRON_SCHEDULED_AT: scheduledAt.toISOString() },
        logFile,
        timeoutMs,
        secretValues: secretValuesOf(this.ctx, deployment),
        signal: abort.controller.signal,
      })
      .then((result) => {
        const timedOut = result.timedOut || abort.why === 'timeout';
        const status: CronRunStatus = timedOut ? 'TIMED_OUT' : result.cancelled ? 'CANCELLED' : result.exitCode === 0 ? 'SUCCEEDED' : 'FAILED';
        const detail = timedOut
          ? `timed out after ${instance.settings.cronTimeoutSeconds ?? timeoutMs / 1000} s`
          : result.cancelled
            ? `cancelled: ${abort.why ?? 'stopped'}`
            : result.exitCode === 0
              ? null
              : result.signal
                ? `killed by ${result.signal}`
                : `exited with code ${result.exitCode}`;
        store.cronRuns.finish(runId, status, result.exitCode, detail);
        if (status === 'FAILED' || status === 'TIMED_OUT') {
          emitDeploymentEvent(store, deployment, status === 'FAILED' ? 'cron.failed' : 'cron.timed_out', 'error', `cron run ${runId} ${detail}`, { runId, scheduledAt: scheduledAt.toISOString() });
        }
        return { exitCode: result.exitCode, timedOut };
      })
      .catch((error: unknown) => {
        store.cronRuns.finish(runId, 'FAILED', null, `could not start: ${(error as Error).message}`);
        emitDeploymentEvent(store, deployment, 'cron.failed', 'error', `cron run ${runId} could not start: ${(error as Error).message}`, { runId });
        return { exitCode: null, timedOut: false };
      })
      .finally(() => this.aborts.delete(runId));
    return { runId, done };
  }

  async cancel(runId: string, why: 'replaced' | 'timeout'): Promise<void> {
    const abort = this.aborts.get(runId);
    if (!abort) return;
    abort.why = why;
    abort.controller.abort();
  }

  recordSkipped(jobId: string, scheduledAt: Date, why: string): void {
    this.ctx.store.cronRuns.record(jobId, scheduledAt, 'SKIPPED', why);
    this.emit(jobId, 'cron.skipped', 'warning', `run due ${scheduledAt.toISOString()} skipped: ${why}`);
  }

  recordMissed(jobId: string, scheduledAt: Date): void {
    this.ctx.store.cronRuns.record(jobId, scheduledAt, 'MISSED', 'the control plane was not running at the scheduled time');
    this.emit(jobId, 'cron.missed', 'warning', `run due ${scheduledAt.toISOString()} was missed: the control plane was not running`);
  }

  /** Runs a previous control plane left RUNNING died with it (jobs are its children). */
  failInterrupted(): number {
    const { store } = this.ctx;
    const interrupted = store.cronRuns.running();
    for (const run of interrupted) store.cronRuns.finish(run.id, 'FAILED', null, 'interrupted: the control plane stopped during the run');
    return interrupted.length;
  }

  private emit(instanceId: string, kind: string, severity: 'warning' | 'error', message: string): void {
    const instance = this.ctx.store.projects.getInstance(instanceId);
    if (!instance.activeDeploymentId) return;
    emitDeploymentEvent(this.ctx.store, this.ctx.store.deployments.get(instance.activeDeploymentId), kind, severity, message);
  }
}
