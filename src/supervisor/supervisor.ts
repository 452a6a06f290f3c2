import type { ReplicaState } from '../core/runtime.js';
import { AppProcess } from './app-process.js';
import { LivenessMonitor } from '../shared/liveness.js';
import type { LogWriter } from '../shared/log-writer.js';
import { signalGroup } from './process-group.js';
import {
  backoffMs,
  backoffStepAfter,
  decideAfterExit,
  describeExit,
  describeRestart,
  isFailure,
  type AppExit,
} from './restart-policy.js';
import { writeStatus, type SupervisedSpec, type SupervisedStatus } from './status-file.js';

// Keeps one replica's app running under its restart policy and records every change in
// status.json. It owns the app; the control plane only reads status and sends SIGTERM.

export class Supervisor {
  private app: AppProcess | null = null;
  private liveness: LivenessMonitor | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private backoffStep = 0;
  /** When the current run first answered its liveness probe (null: not yet). */
  private healthyAt: number | null = null;
  private stopping = false;
  private status: SupervisedStatus;

  constructor(
    private readonly dir: string,
    private readonly spec: SupervisedSpec,
    private readonly log: LogWriter,
    private readonly exit: (code: number) => void,
  ) {
    this.status = {
      replicaId: spec.replicaId,
      role: spec.role,
      deploymentId: spec.deploymentId,
      serviceInstanceId: spec.serviceInstanceId,
      runtime: 'process',
      port: spec.port,
      // A process listens on the host itself.
      endpoint: spec.port === null ? null : { host: '127.0.0.1', port: spec.port },
      state: 'starting',
      restarts: 0,
      appPid: null,
      supervisorPid: process.pid,
      exitCode: null,
      exitSignal: null,
      startedAt: null,
      updatedAt: new Date().toISOString(),
      lastReason: null,
      unhealthySince: null,
    };
  }

  start(): void {
    this.launch();
  }

  /** SIGTERM/SIGINT: no more restarts, end the app group, record `stopped`, exit 0. */
  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.write('sys', `stopping (grace ${graceMs} ms)`);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.liveness?.stop();
    const exit = this.app ? await this.app.stop(graceMs) : null;
    this.update({
      state: 'stopped',
      appPid: null,
      exitCode: exit?.code ?? this.status.exitCode,
      exitSignal: exit?.signal ?? this.status.exitSignal,
    });
    this.log.write('sys', 'stopped');
    await this.finish(0);
  }

  /** The supervisor itself broke: leave nothing running and say why. */
  async fail(err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    console.error('supervisor error:', err);
    this.stopping = true;
    if (this.app?.pid) signalGroup(this.app.pid, 'SIGKILL');
    this.log.write('sys', `supervisor error: ${message}`);
    try {
      this.update({ state: 'crashed', appPid: null, lastReason: `supervisor error: ${message}` });
    } finally {
      await this.finish(1);
    }
  }

  private launch(): void {
    this.restartTimer = null;
    if (this.stopping) return;
    const app = new AppProcess(this.spec, this.log);
    this.app = app;
    this.healthyAt = null;
    const spawned = app.pid !== null;
    if (spawned) this.log.write('sys', `started pid ${app.pid}`);
    const probing = spawned && this.spec.liveness !== null && this.spec.port !== null;
    this.update({
      state: probing || !spawned ? 'starting' : 'running',
      appPid: app.pid,
      startedAt: app.startedAt.toISOString(),
    });
    if (probing) this.watchLiveness(app);
    void app.exited.then((exit) => this.onExit(app, exit)).catch((err) => this.fail(err));
  }

  private watchLiveness(app: AppProcess): void {
    const liveness = this.spec.liveness!;
    // A restarted run gets healthcheckTimeout to answer 2xx; then its failures count too.
    const countFromMs = this.status.restarts > 0 ? (liveness.startupTimeoutMs ?? null) : null;
    const monitor = new LivenessMonitor(this.spec.port!, liveness, {
      onHealthy: () => {
        if (this.app !== app || this.stopping) return;
        this.healthyAt = Date.now();
        if (this.status.unhealthySince) this.log.write('sys', 'liveness probe passed: healthy again');
        this.update({ state: 'running', unhealthySince: null });
      },
      onStartupOver: (waitedMs) => {
        this.log.write('sys', `no 2xx within ${Math.round(waitedMs / 1000)} s of the restart: failed liveness probes count from now`);
      },
      onFailure: (count, detail) => {
        this.log.write('sys', `liveness probe failed (${count} of ${liveness.failureThreshold}): ${detail}`);
      },
      onUnhealthy: (count, detail) => {
        if (this.app !== app || this.stopping) return;
        app.forcedReason = `liveness probe failed ${count} times (last: ${detail})`;
        this.log.write('sys', `${app.forcedReason}: unhealthy, stopping the app`);
        // Out of the routing set from now until a 2xx, whatever the restart policy decides.
        this.update({ state: 'unhealthy', lastReason: app.forcedReason, unhealthySince: this.status.unhealthySince ?? new Date().toISOString() });
        void app.stop(this.spec.stopGraceMs);
      },
    }, { countFromMs });
    this.liveness = monitor;
    monitor.start();
  }

  private async onExit(app: AppProcess, exit: AppExit): Promise<void> {
    if (this.stopping) return;
    this.liveness?.stop();
    this.liveness = null;
    this.log.write('sys', describeExit(exit));
    // Whatever the app left in its group (a grandchild holding the port) goes with it.
    await app.stop(this.spec.stopGraceMs);
    if (this.stopping) return;

    const reason = app.forcedReason ?? describeExit(exit);
    const failed = isFailure(exit, app.forcedReason);
    const { policy, maxRetries } = this.spec.restart;
    const decision = decideAfterExit(policy, maxRetries, this.status.restarts, failed);
    const ended = { appPid: null, exitCode: exit.code, exitSignal: exit.signal, lastReason: reason };
    if (decision.action === 'end') {
      // From here a late SIGTERM must not turn crashed/exited into stopped.
      this.stopping = true;
      this.update({ ...ended, state: decision.state });
      this.log.write('sys', decision.state === 'crashed' ? `crashed: ${reason}, not restarting (${policy})` : 'exited');
      await this.finish(0);
      return;
    }
    // An app ended for failing its health check was only "up" while it was healthy: a restarted
    // run that never answers again backs off like a crash loop.
    const upMs = app.forcedReason !== null ? (this.healthyAt === null ? 0 : Date.now() - this.healthyAt) : Date.now() - app.startedAt.getTime();
    this.backoffStep = backoffStepAfter(this.backoffStep, upMs);
    const delayMs = backoffMs(this.backoffStep);
    this.backoffStep++;
    const restarts = this.status.restarts + 1;
    this.update({ ...ended, state: 'restarting', restarts });
    this.log.write('sys', describeRestart(delayMs, restarts, policy, maxRetries));
    this.restartTimer = setTimeout(() => this.launch(), delayMs);
  }

  private update(patch: Partial<SupervisedStatus> & { state?: ReplicaState }): void {
    this.status = { ...this.status, ...patch, updatedAt: new Date().toISOString() };
    writeStatus(this.dir, this.status);
  }

  private async finish(code: number): Promise<void> {
    await this.log.close();
    this.exit(code);
  }
}
