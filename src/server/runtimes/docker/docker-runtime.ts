import type Dockerode from 'dockerode';
import path from 'node:path';
import { WharfError } from '../../../core/errors.js';
import type { ArtifactRef } from '../../../core/artifact.js';
import type {
  ExecSession,
  ExecSpec,
  JobResult,
  JobSpec,
  ReplicaSpec,
  ReplicaStats,
  ReplicaStatus,
  Runtime,
} from '../../../core/runtime.js';
import type { SecretBox } from '../../../shared/secrets/secret-box.js';
import { Bookkeeping } from './bookkeeping.js';
import { dockerFromHost, statusCodeOf, tolerate } from './client.js';
import { checkMounts, publishedPorts, envList, hostConfig, imageOf, restartPolicyOf, userFor } from './container-config.js';
import { openExec } from './exec-session.js';
import { baseLabels, checkReplicaId, containerName, factsFromLabels, homeLabel, labelFilter, LABEL, replicaLabels, type ReplicaFacts } from './labels.js';
import { ensureNetwork, ensureVolumes, networkingConfig } from './networks.js';
import { ReplicaWatch } from './replica-watch.js';
import { runJobContainer } from './run-job.js';
import { OrderedLogFile } from './log-file.js';
import { lostStatus, statusOf, type InspectLike } from './state-map.js';
import { containerStats } from './stats.js';

// Runs replicas as containers of one Docker engine. The engine is the record of what runs: every
// container carries labels enough to rebuild its status, and the engine restarts crashed ones
// under their restart policy even while no control plane is up. This class adds what the engine
// lacks: log files with redaction, liveness probes, and a few facts in its own state folder.

export interface DockerRuntimeOptions {
  /** An engine client; else one made from `host`. */
  docker?: Dockerode;
  /** WHARF_DOCKER_HOST, default unix:///var/run/docker.sock. */
  host?: string;
  /** WHARF_HOME: its hash is the `wharf.home` label, so installations never adopt each other's. */
  home: string;
  /** A folder of the driver's own under the state directory; default <home>/docker. */
  stateDir?: string;
  /** Seals replicas' secret values in the state folder, so an adopting control plane can redact. */
  seal?: { box: SecretBox };
  /** Reserved: specs carry named volumes only; these would allow host paths / the engine socket. */
  allowHostMounts?: boolean;
  allowDockerSocket?: boolean;
  /** Extra labels on everything created (tests: wharf.test=1). */
  labels?: Record<string, string>;
}

export class DockerRuntime implements Runtime {
  readonly name = 'docker';
  readonly docker: Dockerode;
  readonly homeHash: string;
  private readonly base: Record<string, string>;
  private readonly bk: Bookkeeping;
  private readonly watches = new Map<string, ReplicaWatch>();
  /** Secret values of replicas this instance started without a seal box (never written down). */
  private readonly memorySecrets = new Map<string, ReplicaSpec['secretValues']>();
  private readonly options: DockerRuntimeOptions;
  private readonly unredactable = new Set<string>();
  private swept: Promise<void> | null = null;
  private readonly since = Date.now();

  constructor(options: DockerRuntimeOptions) {
    this.options = options;
    this.docker = options.docker ?? dockerFromHost(options.host);
    this.homeHash = homeLabel(options.home);
    this.base = baseLabels(this.homeHash, options.labels);
    this.bk = new Bookkeeping(options.stateDir ?? path.join(options.home, 'docker'), options.seal?.box);
  }

  /** Labels for networks, volumes and images this installation creates. */
  get labels(): Record<string, string> {
    return { ...this.base };
  }

  async start(spec: ReplicaSpec): Promise<ReplicaStatus> {
    checkReplicaId(spec.replicaId);
    const image = imageOf(spec.artifact, `replica ${spec.replicaId}`);
    checkMounts(spec.volumes, this.hostOptions());
    const name = containerName(spec.replicaId);
    const existing = await tolerate(this.docker.getContainer(name).inspect(), 404);
    if (existing?.State.Running || existing?.State.Restarting) {
      throw new WharfError('CONFLICT', `replica ${spec.replicaId} is already running`, {
        hint: 'Stop and remove the replica first, or start it under a new replica id.',
      });
    }
    if (existing) await this.forget(spec.replicaId, existing.Id);
    if (spec.network) await ensureNetwork(this.docker, spec.network, this.base);
    await ensureVolumes(this.docker, spec.volumes, this.base, spec.user ? { image, user: spec.user } : undefined);

    const labels = replicaLabels(spec, this.base);
    const facts = factsFromLabels(labels)!;
    const secrets = spec.secretValues ?? [];
    this.bk.remove(spec.replicaId); // a fresh start: no cursor or markers of an earlier container
    this.bk.write(spec.replicaId, { facts, ...this.bk.seal(secrets), stoppedAt: null, loggedRestarts: 0 });
    if (!this.options.seal && secrets.length > 0) this.memorySecrets.set(spec.replicaId, secrets);

    const net = networkingConfig(spec.network);
    let container: Dockerode.Container;
    try {
      container = await this.docker.createContainer({
        name,
        Image: image,
        // A database server's argv is the whole program (the provider prepared its volume in a
        // one-shot container): an official image's entrypoint script would redo that setup.
        ...(spec.role === 'database' ? { Entrypoint: [] } : {}),
        ...(spec.command.length > 0 ? { Cmd: spec.command } : {}),
        Env: envList(spec.env, spec.port),
        ...publishedPorts(spec).exposed,
        ...(await userFor(this.docker, image, spec.user)),
        Labels: labels,
        StopTimeout: Math.ceil(spec.stopGraceMs / 1000),
        HostConfig: {
          ...hostConfig(spec.limits, spec.volumes),
          RestartPolicy: restartPolicyOf(spec.restart),
          ...publishedPorts(spec).bindings,
          ...(net.HostConfigNetworkMode ? { NetworkMode: net.HostConfigNetworkMode } : {}),
        },
        ...(net.NetworkingConfig ? { NetworkingConfig: net.NetworkingConfig } : {}),
      });
      await container.start();
    } catch (err) {
      await tolerate(this.docker.getContainer(name).remove({ force: true, v: true }), 404);
      this.bk.remove(spec.replicaId);
      throw new WharfError('RUNTIME_ERROR', `replica ${spec.replicaId} did not start: ${(err as Error).message}`, {
        hint: 'Check that the image exists on the engine (docker image ls) and that its command runs.',
        cause: err,
      });
    }
    const watch = this.watch(spec.replicaId, container, facts);
    const info = (await container.inspect()) as unknown as InspectLike;
    watch?.sys(`started container ${info.Id.slice(0, 12)}`);
    watch?.observe(info);
    return this.statusFrom(info, facts);
  }

  async list(): Promise<ReplicaStatus[]> {
    this.swept ??= this.sweepOrphans().catch(() => {
      this.swept = null; // the engine may answer next time
    });
    await this.swept;
    const found = await this.docker.listContainers({ all: true, filters: labelFilter(this.homeHash, LABEL.replica) });
    const statuses: ReplicaStatus[] = [];
    const seen = new Set<string>();
    for (const c of found) {
      const facts = factsFromLabels(c.Labels);
      if (!facts) continue;
      const container = this.docker.getContainer(c.Id);
      const info = (await tolerate(container.inspect(), 404)) as InspectLike | undefined;
      if (!info) continue;
      seen.add(facts.replicaId);
      this.watch(facts.replicaId, container, facts);
      statuses.push(this.statusFrom(info, facts));
    }
    for (const id of this.bk.ids()) {
      if (seen.has(id)) continue;
      const record = this.bk.read(id);
      if (record) statuses.push(lostStatus(record));
    }
    return statuses;
  }

  async stop(replicaId: string, opts: { graceMs: number }): Promise<void> {
    checkReplicaId(replicaId);
    const container = this.docker.getContainer(containerName(replicaId));
    const info = await tolerate(container.inspect(), 404);
    if (!info) return;
    if (!this.bk.read(replicaId)) {
      const facts = factsFromLabels(info.Config.Labels ?? {});
      if (facts) this.bk.write(replicaId, { facts, loggedRestarts: info.RestartCount });
    }
    const watch = this.watches.get(replicaId);
    watch?.stopLiveness();
    this.bk.update(replicaId, { stoppedAt: this.bk.read(replicaId)?.stoppedAt ?? new Date().toISOString() });
    if (info.State.Running || info.State.Restarting || info.State.Paused) {
      watch?.sys(`stopping (grace ${Math.max(0, opts.graceMs)} ms)`);
      await tolerate(container.stop({ t: Math.ceil(Math.max(0, opts.graceMs) / 1000) }), 304, 404);
    }
  }

  async remove(replicaId: string): Promise<void> {
    checkReplicaId(replicaId);
    const watch = this.watches.get(replicaId);
    this.watches.delete(replicaId);
    await watch?.close();
    const container = this.docker.getContainer(containerName(replicaId));
    // v: anonymous volumes only; named volumes (wharf-vol-*) outlive every replica.
    await tolerate(container.remove({ force: true, v: true }), 404);
    this.bk.remove(replicaId);
    this.memorySecrets.delete(replicaId);
  }

  run(job: JobSpec): Promise<JobResult> {
    return runJobContainer(this.docker, job, { base: this.base, host: this.hostOptions() });
  }

  async stats(replicaIds?: readonly string[]): Promise<ReplicaStats[]> {
    const found = await this.docker.listContainers({ filters: labelFilter(this.homeHash, LABEL.replica) });
    const wanted = replicaIds ? new Set(replicaIds) : null;
    const asked = found.flatMap((c) => {
      const facts = factsFromLabels(c.Labels);
      return facts && (!wanted || wanted.has(facts.replicaId)) ? [{ id: c.Id, facts }] : [];
    });
    const all = await Promise.all(
      asked.map(({ id, facts }) => containerStats(this.docker.getContainer(id), facts.replicaId, facts.memoryBytes).catch(() => null)),
    );
    return all.filter((s): s is ReplicaStats => s !== null);
  }

  exec(spec: ExecSpec): Promise<ExecSession> {
    return openExec(this.docker, spec, { base: this.base, host: this.hostOptions() });
  }

  async removeArtifact(artifact: ArtifactRef): Promise<void> {
    if (artifact.kind !== 'image') return;
    const users = await this.docker.listContainers({ all: true, filters: { ancestor: [artifact.digest] } });
    if (users.length > 0) return;
    try {
      await this.docker.getImage(artifact.digest).remove({ force: false });
    } catch (err) {
      // In use (409) by a container of another installation, or gone already (404): keep going.
      if (![404, 409].includes(statusCodeOf(err) ?? -1)) throw err;
    }
  }

  /** Stops this instance's log pumps and liveness monitors; the containers run on. */
  async close(): Promise<void> {
    const watches = [...this.watches.values()];
    this.watches.clear();
    await Promise.all(watches.map((w) => w.close()));
  }

  private hostOptions() {
    return { allowHostMounts: this.options.allowHostMounts ?? false, allowDockerSocket: this.options.allowDockerSocket ?? false };
  }

  private statusFrom(info: InspectLike, facts: ReplicaFacts): ReplicaStatus {
    const status = statusOf(info, facts, this.bk.read(facts.replicaId));
    return this.watches.get(facts.replicaId)?.status(status) ?? status;
  }

  /** This instance's watch over a replica: made on start, or on the first list() after adoption. */
  private watch(replicaId: string, container: Dockerode.Container, facts: ReplicaFacts): ReplicaWatch | null {
    const current = this.watches.get(replicaId);
    if (current) return current;
    const record = this.bk.read(replicaId);
    if (!record) {
      // A container of this home whose bookkeeping is gone: its secrets are unknown, so no log.
      return null;
    }
    const secrets = this.memorySecrets.get(replicaId) ?? this.bk.secrets(record);
    if (secrets === null) {
      // Its secret values are sealed and this instance has no key (or were never written down):
      // collecting the log would write them in clear, so it waits for a control plane that can.
      if (!this.unredactable.has(replicaId)) {
        this.unredactable.add(replicaId);
        new OrderedLogFile(facts.logFile, []).sys('log collection paused: no key to open the secret values to redact with');
      }
      return null;
    }
    const watch = new ReplicaWatch(container, facts, this.bk, secrets);
    this.watches.set(replicaId, watch);
    return watch;
  }

  /**
   * Job and exec containers of this home left by an earlier control plane: whoever waited for
   * them is gone (as a process job dies with its control plane), so they go, once per instance.
   */
  private async sweepOrphans(): Promise<void> {
    for (const label of [LABEL.job, LABEL.exec]) {
      for (const c of await this.docker.listContainers({ all: true, filters: labelFilter(this.homeHash, label) })) {
        // Created by this instance (its own running jobs): not an orphan.
        if (c.Created * 1000 >= this.since - 1000) continue;
        await tolerate(this.docker.getContainer(c.Id).remove({ force: true, v: true }), 404, 409);
      }
    }
  }

  /** An ended container under this replica id, left from an earlier start: it goes. */
  private async forget(replicaId: string, id: string): Promise<void> {
    const watch = this.watches.get(replicaId);
    this.watches.delete(replicaId);
    await watch?.close();
    await tolerate(this.docker.getContainer(id).remove({ force: true, v: true }), 404);
  }
}
