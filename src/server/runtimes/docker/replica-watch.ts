import type Dockerode from 'dockerode';
import type { ReplicaStatus } from '../../../core/runtime.js';
import { decideAfterExit } from '../../../supervisor/restart-policy.js';
import type { Bookkeeping, ReplicaRecord } from './bookkeeping.js';
import { statusCodeOf } from './client.js';
import { restartPolicyOf } from './container-config.js';
import type { ReplicaFacts } from './labels.js';
import { OrderedLogFile } from './log-file.js';
import { LogPump } from './log-pump.js';
import { LivenessMonitor } from '../../../shared/liveness.js';
import { describeEnd, endpointOf, stateOf, totalRestarts, type InspectLike } from './state-map.js';
import type { SecretValue } from '../../../shared/secrets/redact.js';

// What the control plane does for one replica container while it is up: pump its log, write
// sys lines for what the engine did (restarts, OOM kills, the final end), and run its liveness
// probes, restarting it when they fail as the process supervisor would. Crash restarts are the
// engine's and go on without a control plane; liveness restarts pause until one adopts it.

export class ReplicaWatch {
  private readonly log: OrderedLogFile;
  private readonly pump: LogPump;
  private liveness: LivenessMonitor | null = null;
  /** The State.StartedAt of the run the liveness monitor watches. */
  private livenessRun: string | null = null;
  /** Wharf is restarting the container after failed probes (the engine sees a plain stop). */
  private restartingForLiveness = false;
  unhealthyNow = false;
  private closed = false;

  constructor(
    private readonly container: Dockerode.Container,
    private readonly facts: ReplicaFacts,
    private readonly bk: Bookkeeping,
    secrets: SecretValue[],
  ) {
    this.log = new OrderedLogFile(facts.logFile, secrets);
    this.pump = new LogPump({
      container,
      log: this.log,
      cursor: bk.readCursor(facts.replicaId),
      saveCursor: (ts) => bk.writeCursor(facts.replicaId, ts),
      afterRun: (drain) => this.afterRun(drain),
    });
  }

  get replicaId(): string {
    return this.facts.replicaId;
  }

  sys(message: string): void {
    this.log.sys(message);
  }

  /** Stops watching (the container runs on); liveness first, so no restart starts now. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopLiveness();
    await this.pump.stop();
  }

  stopLiveness(): void {
    this.liveness?.stop();
    this.liveness = null;
    this.livenessRun = null;
  }

  private record(): ReplicaRecord | null {
    return this.bk.read(this.facts.replicaId);
  }

  private async inspect(): Promise<InspectLike | null> {
    try {
      return (await this.container.inspect()) as unknown as InspectLike;
    } catch {
      return null;
    }
  }

  /** The container, 'gone' when the engine says so, or 'unknown' when the engine did not answer. */
  private async look(): Promise<InspectLike | 'gone' | 'unknown'> {
    try {
      return (await this.container.inspect()) as unknown as InspectLike;
    } catch (err) {
      return statusCodeOf(err) === 404 ? 'gone' : 'unknown';
    }
  }

  private async afterRun(drain: () => Promise<void>): Promise<'again' | 'stop'> {
    if (this.closed) return 'stop';
    if (this.restartingForLiveness) return 'again';
    const info = await this.look();
    // An engine restarting (or briefly unreachable): keep trying, the containers come back.
    if (info === 'unknown') return 'again';
    if (info === 'gone') {
      await drain();
      return 'stop';
    }
    const running = info.State.Running || info.State.Restarting || info.State.Status === 'created';
    if (!running) await drain();
    this.observe(info);
    return running ? 'again' : 'stop';
  }

  /** Sys lines for what happened since the last look, and liveness for a new run. */
  observe(info: InspectLike): void {
    const record = this.record();
    if (!record || this.closed) return;
    const total = totalRestarts(info, record);
    const logged = record.loggedRestarts ?? 0;
    const { policy, maxRetries } = this.facts.restart;
    const limit = policy === 'ON_FAILURE' ? `of ${maxRetries}` : 'of unlimited';
    for (let n = logged + 1; n <= total; n++) {
      this.log.sys(describeEnd(info, this.facts));
      this.log.sys(`restarting (restart ${n} ${limit})`);
    }
    let patch: Partial<ReplicaRecord> = total > logged ? { loggedRestarts: total } : {};
    const state = stateOf(info, this.facts, record);
    if (['stopped', 'exited', 'crashed'].includes(state) && !record.gaveUp && record.loggedEnd !== info.State.FinishedAt) {
      this.stopLiveness();
      if (state === 'stopped') this.log.sys('stopped');
      else {
        const reason = describeEnd(info, this.facts);
        this.log.sys(reason);
        this.log.sys(state === 'crashed' ? `crashed: ${reason}, not restarting (${policy})` : 'exited');
      }
      patch = { ...patch, loggedEnd: info.State.FinishedAt };
    }
    if (Object.keys(patch).length > 0) this.bk.update(this.facts.replicaId, patch);
    if (info.State.Running) this.watchRun(info, { ...record, ...patch });
  }

  private watchRun(info: InspectLike, record: ReplicaRecord): void {
    const liveness = this.facts.liveness;
    const endpoint = endpointOf(info, this.facts);
    if (!liveness || !endpoint || this.livenessRun === info.State.StartedAt || record.stoppedAt || record.gaveUp) return;
    this.liveness?.stop();
    const run = info.State.StartedAt;
    this.livenessRun = run;
    const restarts = totalRestarts(info, record);
    const countFromMs = restarts > 0 ? (liveness.startupTimeoutMs ?? null) : null;
    this.liveness = new LivenessMonitor(endpoint, liveness, {
      onHealthy: () => {
        if (this.livenessRun !== run || this.closed) return;
        const current = this.record();
        if (current?.unhealthySince) this.log.sys('liveness probe passed: healthy again');
        this.bk.update(this.facts.replicaId, { healthyRun: run, unhealthySince: null });
      },
      onStartupOver: (waitedMs) => {
        this.log.sys(`no 2xx within ${Math.round(waitedMs / 1000)} s of the restart: failed liveness probes count from now`);
      },
      onFailure: (count, detail) => {
        this.log.sys(`liveness probe failed (${count} of ${liveness.failureThreshold}): ${detail}`);
      },
      onUnhealthy: (count, detail) => {
        if (this.livenessRun !== run || this.closed) return;
        void this.restartUnhealthy(`liveness probe failed ${count} times (last: ${detail})`).catch((err: unknown) => {
          this.log.sys(`liveness restart failed: ${(err as Error).message}`);
        });
      },
    }, { countFromMs, alreadyHealthy: record.healthyRun === run });
    this.liveness.start();
  }

  /** The threshold was reached: out of the routing set, then restarted (or given up) by Wharf. */
  private async restartUnhealthy(reason: string): Promise<void> {
    this.log.sys(`${reason}: unhealthy, stopping the app`);
    this.unhealthyNow = true;
    this.restartingForLiveness = true;
    const id = this.facts.replicaId;
    const before = this.record();
    this.bk.update(id, { unhealthySince: before?.unhealthySince ?? new Date().toISOString() });
    try {
      const info = await this.inspect();
      if (!info || !before) return;
      const total = totalRestarts(info, before);
      const { policy, maxRetries } = this.facts.restart;
      const decision = decideAfterExit(policy, maxRetries, total, true);
      const graceS = Math.ceil(this.facts.stopGraceMs / 1000);
      if (decision.action === 'end') {
        this.bk.update(id, { gaveUp: { reason, at: new Date().toISOString() } });
        this.stopLiveness();
        await this.container.stop({ t: graceS }).catch(() => {});
        this.log.sys(`crashed: ${reason}, not restarting (${policy})`);
        return;
      }
      const restarts = total + 1;
      const limit = policy === 'ON_FAILURE' ? `of ${maxRetries}` : 'of unlimited';
      this.log.sys(`restarting (restart ${restarts} ${limit})`);
      // A restart Wharf makes resets the engine's RestartCount and its retry budget: carry both.
      await this.container.update({ RestartPolicy: restartPolicyOf(this.facts.restart, restarts) });
      await this.container.restart({ t: graceS });
      const after = await this.inspect();
      this.bk.update(id, {
        restartBase: restarts,
        loggedRestarts: restarts,
        forcedEnd: after ? { reason, finishedAt: after.State.FinishedAt } : null,
      });
    } finally {
      this.unhealthyNow = false;
      this.restartingForLiveness = false;
    }
    // The pump is already following the new run: its liveness monitor starts here.
    const now = await this.inspect();
    if (now) this.observe(now);
  }

  /** The state as this control plane sees it (adds `unhealthy` while it restarts the app). */
  status(base: ReplicaStatus): ReplicaStatus {
    return this.unhealthyNow ? { ...base, state: 'unhealthy' } : base;
  }
}
