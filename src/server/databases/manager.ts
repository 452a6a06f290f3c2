import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseEngine, DatabaseSpec } from '../../core/database.js';
import { WharfError } from '../../core/errors.js';
import type { DeployContext } from '../deploy/context.js';
import { placementOf } from '../deploy/placement.js';
import type { DatabaseRecord } from '../store/databases.js';
import type { InstanceContext } from '../store/projects.js';
import { freeDatabasePort, providerFor, specOf, waitForPort, type Providers } from './spec.js';
import { dockerTools, installationLabels, type DockerTools } from './docker/docker-tools.js';
import { runtimeFor } from '../runtimes/select.js';
import { writeRuntime } from './runtime-marker.js';
import { prepareServer, untilServing, volumesOf } from './server-replica.js';

/** Where a database server's log goes: beside the service's other logs. */
export function databaseLogFile(logsDir: string, instanceId: string, databaseId: string): string {
  return path.join(logsDir, instanceId, 'database', `${databaseId}.log`);
}

/** Weekly restore verification, Sunday 03:00 UTC, unless set otherwise. */
export const DEFAULT_VERIFY_SCHEDULE = '0 3 * * 0';

/**
 * Managed databases: each is a service of kind `database` whose server runs under the runtime
 * like any replica (restart policy ALWAYS): a process with its data in WHARF_HOME/data/<id>, or
 * a container with its data in a named volume (server-replica.ts). Provisioning, supervision
 * and the variables services reference.
 */
export class DatabaseManager {
  constructor(
    readonly ctx: DeployContext,
    readonly providers: Providers,
    /** The engine, for databases on the docker runtime (dockerode is loaded only when one is used). */
    readonly docker: DockerTools = dockerTools(process.env, installationLabels(ctx.options.paths.home)),
  ) {}

  spec(record: DatabaseRecord): DatabaseSpec {
    return specOf(this.ctx.store, record);
  }

  /** The database of a service instance, with its provider. */
  of(instanceId: string) {
    const record = this.ctx.store.databases.forInstance(instanceId);
    if (!record) return null;
    return { record, spec: this.spec(record), provider: providerFor(this.providers, record.engine) };
  }

  /** Variables a database offers to references (`${{db.DATABASE_URL}}`), or null for other services. */
  variablesOf(instanceId: string): Record<string, string> | null {
    const found = this.ctx.store.databases.forInstance(instanceId);
    if (!found) return null;
    const provider = this.providers[found.engine];
    return provider ? provider.variables(this.spec(found)) : null;
  }

  /**
   * Creates the database service (if new) and its server in one environment, and waits until it
   * accepts connections with its users and grants in place.
   */
  async provision(ctx: InstanceContext, engine: DatabaseEngine): Promise<DatabaseRecord> {
    const { store, options } = this.ctx;
    const provider = providerFor(this.providers, engine);
    await provider.check();
    const existing = store.databases.forInstance(ctx.instance.id);
    if (existing) return existing;
    const id = store.databases.newId();
    const record = store.databases.create({
      id,
      instanceId: ctx.instance.id,
      engine,
      port: await freeDatabasePort(store, options.privatePorts),
      dataDir: path.join(options.paths.data, id),
      credentials: provider.newCredentials(ctx.service.name),
      backupSchedule: null,
      verifySchedule: DEFAULT_VERIFY_SCHEDULE,
    });
    try {
      // Chosen once: the database stays where its data is.
      await mkdir(record.dataDir, { recursive: true, mode: 0o700 });
      writeRuntime(record.dataDir, runtimeFor(this.ctx, ctx.instance.id));
      await this.start(record);
      store.databases.setStatus(record.id, 'READY');
      store.events.emit({ projectId: ctx.project.id, environmentId: ctx.environment.id, serviceId: ctx.service.id, kind: 'database.provisioned', severity: 'info', message: `${ctx.service.name} (${ctx.environment.name}): ${engine} database ready` });
    } catch (error) {
      store.databases.setStatus(record.id, 'FAILED', (error as Error).message);
      throw error;
    }
    return store.databases.get(record.id);
  }

  /** Prepares the data dir if new, starts the server under a supervisor, waits, bootstraps. */
  async start(record: DatabaseRecord, opts: { bootstrap?: boolean } = {}): Promise<void> {
    const { runtime, options } = this.ctx;
    const provider = providerFor(this.providers, record.engine);
    const spec = this.spec(record);
    await mkdir(spec.dataDir, { recursive: true, mode: 0o700 });
    const status = (await runtime.list()).find((s) => s.replicaId === record.id);
    if (!status || ['crashed', 'exited', 'stopped', 'lost'].includes(status.state)) {
      if (status) await runtime.remove(record.id);
      // Prepared only when nothing runs on the data (a prepare step beside a live server would race it).
      const replica = await prepareServer({
        provider,
        spec,
        docker: this.docker,
        serviceInstanceId: record.instanceId,
        network: placementOf(this.ctx, record.instanceId).network,
        restart: { policy: 'ALWAYS', maxRetries: 0 },
        stopGraceMs: 60_000,
        logFile: databaseLogFile(options.paths.logs, record.instanceId, record.id),
        onProgress: (line) => this.ctx.logger.info({ databaseId: record.id }, `pulling ${spec.engine} image: ${line}`),
      });
      await runtime.start(replica);
    }
    await waitForPort(spec.port, 60_000, async () => {
      const now = (await runtime.list()).find((s) => s.replicaId === record.id);
      return !now || now.state === 'crashed' || now.state === 'lost' ? (now?.lastReason ?? 'its supervisor is gone') : null;
    });
    await untilServing(provider, spec);
    if (provider.ready) {
      const deadline = Date.now() + 10 * 60_000;
      while (!(await provider.ready(spec))) {
        if (Date.now() > deadline) throw new WharfError('RUNTIME_ERROR', `${spec.name} did not finish starting (recovery) within 10 minutes`, { hint: 'See `wharf logs -s <database>`.' });
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    if (opts.bootstrap !== false) await provider.bootstrap(spec);
  }

  /** Keeps every ready database's server running (a lost supervisor is replaced). */
  async supervise(): Promise<void> {
    const { store, runtime, logger } = this.ctx;
    const statuses = new Map((await runtime.list()).map((s) => [s.replicaId, s]));
    for (const record of store.databases.all()) {
      if (record.status !== 'READY') continue;
      const status = statuses.get(record.id);
      if (status && !['crashed', 'exited', 'stopped', 'lost'].includes(status.state)) continue;
      try {
        await this.start(record, { bootstrap: false });
      } catch (error) {
        logger.error({ err: error, databaseId: record.id }, 'could not restart a database server');
      }
    }
  }

  /** Stops the server (data stays). */
  async stop(record: DatabaseRecord): Promise<void> {
    await this.ctx.runtime.stop(record.id, { graceMs: 60_000 });
    await this.ctx.runtime.remove(record.id);
  }

  /** Removes the server and its data: the caller has taken the final backup. */
  async destroy(record: DatabaseRecord): Promise<void> {
    const volumes = volumesOf(providerFor(this.providers, record.engine), this.spec(record));
    await this.stop(record);
    this.ctx.store.databases.delete(record.id);
    await this.docker.jobs.removeVolumes(volumes);
    await rm(record.dataDir, { recursive: true, force: true });
  }

  /** Databases a service references (`${{db.…}}`) in its variables, for migrations and backups. */
  referencedBy(instanceId: string): Array<{ record: DatabaseRecord; spec: DatabaseSpec }> {
    const { store } = this.ctx;
    const ctx = store.projects.describeInstance(instanceId);
    const raw = store.variables.list(ctx.environment.id, ctx.service.id).map((v) => v.value).join('\n');
    const found: Array<{ record: DatabaseRecord; spec: DatabaseSpec }> = [];
    for (const service of store.projects.listServices(ctx.project.id)) {
      if (service.kind !== 'database') continue;
      if (!raw.includes(`${service.name}.`)) continue;
      const instance = store.projects.findInstance(service.id, ctx.environment.id);
      const record = instance ? store.databases.forInstance(instance.id) : null;
      if (record && record.status === 'READY') found.push({ record, spec: this.spec(record) });
    }
    return found;
  }

  /** DATABASE_MIGRATION_URL (and the like) of the databases a service references. */
  migrationVariables(instanceId: string): Record<string, string> {
    const vars: Record<string, string> = {};
    for (const { record, spec } of this.referencedBy(instanceId).reverse()) {
      const provider = this.providers[record.engine];
      if (provider) Object.assign(vars, provider.migrationVariables(spec));
    }
    return vars;
  }

  checkDeletable(record: DatabaseRecord, confirm: string | undefined): void {
    const name = this.ctx.store.projects.describeInstance(record.instanceId).service.name;
    if (confirm !== name) {
      throw new WharfError('BAD_REQUEST', `deleting database '${name}' stops it and removes its data (a final backup is kept)`, {
        hint: `Confirm with the database's name: \`wharf db delete ${name} --yes\`.`,
      });
    }
  }
}
