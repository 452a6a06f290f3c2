import { runtimeOfArtifact, type ArtifactRef, type RuntimeName } from '../../core/artifact.js';
import { WharfError } from '../../core/errors.js';
import type { ExecSession, ExecSpec, JobResult, JobSpec, ReplicaSpec, ReplicaStats, ReplicaStatus, Runtime } from '../../core/runtime.js';

// The one Runtime the control plane holds: the process driver and, once something needs it,
// the docker driver. Work that starts something goes to the driver its artifact runs on;
// work on a replica goes to the driver that lists it; list() is every driver's list.

export interface RuntimesOptions {
  process: Runtime;
  /** Makes the docker driver on first need (loadDockerRuntime); absent: docker is not offered. */
  docker?: () => Promise<Runtime>;
  /** The installation's runtime (WHARF_RUNTIME): the composite's name. */
  defaultRuntime?: RuntimeName;
}

export class Runtimes implements Runtime {
  readonly name: RuntimeName;
  private readonly drivers = new Map<RuntimeName, Runtime>();
  private loading: Promise<Runtime> | null = null;
  /** Which driver ran each replica last seen, so stop/remove/stats need no list. */
  private readonly owner = new Map<string, RuntimeName>();

  constructor(private readonly options: RuntimesOptions) {
    this.name = options.defaultRuntime ?? 'process';
    this.drivers.set('process', options.process);
  }

  /** The driver for a runtime, loading docker on first use. */
  async driver(name: RuntimeName): Promise<Runtime> {
    const loaded = this.drivers.get(name);
    if (loaded) return loaded;
    const load = this.options.docker;
    if (name !== 'docker' || !load) {
      throw new WharfError('RUNTIME_ERROR', `the ${name} runtime is not available on this server`, {
        hint: 'Use the process runtime (unset WHARF_RUNTIME, or `runtime = "process"` in the project file).',
      });
    }
    // One load at a time; a failed load is retried by the next caller (the engine may come back).
    this.loading ??= load().then(
      (docker) => {
        this.drivers.set('docker', docker);
        return docker;
      },
      (error: unknown) => {
        this.loading = null;
        throw error;
      },
    );
    return this.loading;
  }

  /** The drivers made so far: a driver never loaded has nothing running. */
  loaded(): Runtime[] {
    return [...this.drivers.values()];
  }

  async start(spec: ReplicaSpec): Promise<ReplicaStatus> {
    const name = runtimeOfArtifact(spec.artifact);
    const status = await (await this.driver(name)).start(spec);
    this.owner.set(spec.replicaId, name);
    return status;
  }

  async list(): Promise<ReplicaStatus[]> {
    const lists = await Promise.all(this.loaded().map(async (driver) => ({ name: driver.name, statuses: await driver.list() })));
    const all: ReplicaStatus[] = [];
    for (const { name, statuses } of lists) {
      for (const status of statuses) {
        this.owner.set(status.replicaId, name);
        all.push(status);
      }
    }
    return all;
  }

  async stop(replicaId: string, opts: { graceMs: number }): Promise<void> {
    const driver = await this.ownerOf(replicaId);
    if (driver) await driver.stop(replicaId, opts);
  }

  async remove(replicaId: string): Promise<void> {
    const driver = await this.ownerOf(replicaId);
    // A replica nobody lists may still have leftovers in the default driver (process work copies).
    await (driver ?? this.options.process).remove(replicaId);
    this.owner.delete(replicaId);
  }

  async run(job: JobSpec): Promise<JobResult> {
    return (await this.driver(runtimeOfArtifact(job.artifact))).run(job);
  }

  async stats(replicaIds?: readonly string[]): Promise<ReplicaStats[]> {
    if (!replicaIds) return (await Promise.all(this.loaded().map((d) => d.stats()))).flat();
    const byDriver = new Map<Runtime, string[]>();
    for (const id of replicaIds) {
      const driver = await this.ownerOf(id);
      if (!driver) continue;
      byDriver.set(driver, [...(byDriver.get(driver) ?? []), id]);
    }
    return (await Promise.all([...byDriver].map(([driver, ids]) => driver.stats(ids)))).flat();
  }

  async exec(spec: ExecSpec): Promise<ExecSession> {
    return (await this.driver(runtimeOfArtifact(spec.artifact))).exec(spec);
  }

  async removeArtifact(artifact: ArtifactRef): Promise<void> {
    const driver = await this.driver(runtimeOfArtifact(artifact));
    await driver.removeArtifact?.(artifact);
  }

  private async ownerOf(replicaId: string): Promise<Runtime | null> {
    let name = this.owner.get(replicaId);
    if (!name) {
      await this.list();
      name = this.owner.get(replicaId);
    }
    return name ? (this.drivers.get(name) ?? null) : null;
  }
}
