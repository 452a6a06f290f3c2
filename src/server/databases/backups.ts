import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseSpec } from '../../core/database.js';
import { WharfError } from '../../core/errors.js';
import type { BackupKind, BackupRecord, DatabaseRecord } from '../store/databases.js';
import type { InstanceContext } from '../store/projects.js';
import type { DatabaseManager } from './manager.js';
import type { OffsiteCopies } from './offsite/offsite-copies.js';
import { freeDatabasePort, providerFor, waitForPort } from './spec.js';
import type { RuntimeName } from '../../core/artifact.js';
import { readRuntime, writeRuntime } from './runtime-marker.js';
import { prepareServer, untilServing, volumesOf } from './server-replica.js';

const EXTENSION: Record<string, string> = { postgres: 'dump', redis: 'rdb', mysql: 'sql', mongo: 'archive.gz' };

/**
 * Backups, retention, restores (in place or into a new database), verification and PITR.
 * With `offsite`, finished backups are also copied to an S3-compatible bucket in the
 * background, and a restore whose file is gone fetches it back.
 */
export class BackupService {
  constructor(
    private readonly manager: DatabaseManager,
    readonly offsite: OffsiteCopies | null = null,
  ) {}

  private get store() {
    return this.manager.ctx.store;
  }

  /** One backup of a database; records size, duration and checksum, or the failure. */
  async backup(record: DatabaseRecord, kind: BackupKind): Promise<BackupRecord> {
    const { store } = this;
    const ctx = store.projects.describeInstance(record.instanceId);
    const provider = providerFor(this.manager.providers, record.engine);
    const started = store.databases.startBackup({ databaseId: record.id, engine: record.engine, databaseName: ctx.service.name, projectId: ctx.project.id, environmentId: ctx.environment.id, kind });
    const file = path.join(this.manager.ctx.options.paths.backups, record.id, `${started.id}.${EXTENSION[record.engine] ?? 'bak'}`);
    try {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const result = await provider.backup(this.manager.spec(record), file);
      const done = store.databases.finishBackup(started.id, result);
      store.events.emit({ projectId: ctx.project.id, environmentId: ctx.environment.id, serviceId: ctx.service.id, kind: 'backup.succeeded', severity: 'info', message: `${ctx.service.name} (${ctx.environment.name}): ${kind} backup ${done.id}, ${result.bytes} bytes in ${result.durationMs} ms`, data: { backupId: done.id } });
      this.offsite?.queue(done);
      if (kind === 'manual' || kind === 'scheduled') await this.prune(record);
      return store.databases.getBackup(done.id);
    } catch (error) {
      store.databases.finishBackup(started.id, { error: (error as Error).message });
      store.events.emit({ projectId: ctx.project.id, environmentId: ctx.environment.id, serviceId: ctx.service.id, kind: 'backup.failed', severity: 'error', message: `${ctx.service.name} (${ctx.environment.name}): ${kind} backup failed: ${(error as Error).message}`, data: { backupId: started.id } });
      throw error;
    }
  }

  /** Retention: the newest `backupKeep` manual/scheduled backups, none older than the age limit. */
  async prune(record: DatabaseRecord): Promise<number> {
    const fresh = this.store.databases.get(record.id);
    const cutoff = Date.now() - fresh.backupMaxAgeDays * 86_400_000;
    const candidates = this.store.databases.backups(record.id).filter((b) => b.kind === 'manual' || b.kind === 'scheduled');
    let removed = 0;
    for (const [index, backup] of candidates.entries()) {
      if (index < fresh.backupKeep && Date.parse(backup.createdAt) >= cutoff) continue;
      if (backup.path) await rm(backup.path, { recursive: true, force: true });
      await this.offsite?.removeCopy(backup);
      this.store.databases.deleteBackup(backup.id);
      removed++;
    }
    return removed;
  }

  /** Restores into the same database, after a safety backup of what is there now. */
  async restoreInPlace(record: DatabaseRecord, backup: BackupRecord): Promise<BackupRecord> {
    this.checkRestorable(backup, record.engine);
    const file = await this.fileOf(backup);
    const safety = await this.backup(record, 'safety');
    await providerFor(this.manager.providers, record.engine).restore(this.manager.spec(record), file);
    return safety;
  }

  /** Restores into a new database service (`--to NAME`), in the given environment. */
  async restoreInto(backup: BackupRecord, target: InstanceContext): Promise<DatabaseRecord> {
    this.checkRestorable(backup, backup.engine);
    const file = await this.fileOf(backup);
    const created = await this.manager.provision(target, backup.engine);
    await providerFor(this.manager.providers, backup.engine).restore(this.manager.spec(created), file);
    return created;
  }

  /**
   * Restores the backup into a scratch server nobody uses, records what it holds (tables and
   * row counts), and throws it away: a backup that cannot be restored is found before it is
   * needed.
   */
  /** A backup is verified on the runtime its database runs on (process when it is gone). */
  private sourceRuntime(backup: BackupRecord): RuntimeName {
    const source = this.store.databases.all().find((d) => d.id === backup.databaseId);
    return source ? readRuntime(source.dataDir) : 'process';
  }

  async verify(backup: BackupRecord): Promise<Record<string, number>> {
    const { ctx } = this.manager;
    const provider = providerFor(this.manager.providers, backup.engine);
    const scratchId = `verify_${backup.id.slice(4)}`;
    const dataDir = path.join(ctx.options.paths.data, scratchId);
    const spec: DatabaseSpec = { id: scratchId, engine: backup.engine, name: backup.databaseName, dataDir, port: await freeDatabasePort(this.store, ctx.options.privatePorts), credentials: provider.newCredentials(backup.databaseName), runtime: this.sourceRuntime(backup) };
    try {
      this.checkRestorable(backup, backup.engine);
      const file = await this.fileOf(backup);
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      await this.runScratch(spec);
      await provider.bootstrap(spec);
      await provider.restore(spec, file);
      const summary = await provider.inspect(spec);
      this.store.databases.recordVerification(backup.id, 'PASSED', summary);
      return summary;
    } catch (error) {
      this.store.databases.recordVerification(backup.id, 'FAILED', null);
      this.store.events.emit({ projectId: backup.projectId, environmentId: backup.environmentId, kind: 'backup.verify_failed', severity: 'error', message: `${backup.databaseName}: backup ${backup.id} could not be restored: ${(error as Error).message}`, data: { backupId: backup.id } });
      throw error;
    } finally {
      await ctx.runtime.stop(scratchId, { graceMs: 30_000 }).catch(() => undefined);
      await ctx.runtime.remove(scratchId).catch(() => undefined);
      await this.manager.docker.jobs.removeVolumes(volumesOf(provider, spec)).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  /** A base backup for point-in-time recovery (Postgres). */
  async baseBackup(record: DatabaseRecord): Promise<BackupRecord> {
    const provider = providerFor(this.manager.providers, record.engine);
    if (!provider.pitr) throw new WharfError('CONFLICT', `${record.engine} has no point-in-time recovery`, { hint: 'Use `wharf db backup` and `wharf db restore BACKUP`.' });
    const ctx = this.store.projects.describeInstance(record.instanceId);
    const started = this.store.databases.startBackup({ databaseId: record.id, engine: record.engine, databaseName: ctx.service.name, projectId: ctx.project.id, environmentId: ctx.environment.id, kind: 'base' });
    const dir = path.join(this.manager.ctx.options.paths.backups, record.id, started.id);
    try {
      const result = await provider.pitr.baseBackup(this.manager.spec(record), dir);
      const done = this.store.databases.finishBackup(started.id, result);
      await this.pruneBase(record);
      return done;
    } catch (error) {
      this.store.databases.finishBackup(started.id, { error: (error as Error).message });
      throw error;
    }
  }

  /**
   * The archive's retention follows the backups': the newest `backupKeep` base backups (none
   * older than the age limit, but always the newest) and the WAL needed to replay from the oldest.
   */
  private async pruneBase(record: DatabaseRecord): Promise<void> {
    const provider = providerFor(this.manager.providers, record.engine);
    const fresh = this.store.databases.get(record.id);
    const cutoff = Date.now() - fresh.backupMaxAgeDays * 86_400_000;
    const bases = this.store.databases.backups(record.id).filter((b) => b.kind === 'base' && b.status === 'SUCCEEDED');
    const kept = bases.filter((b, i) => i === 0 || (i < fresh.backupKeep && Date.parse(b.createdAt) >= cutoff));
    for (const old of bases.filter((b) => !kept.includes(b))) {
      if (old.path) await rm(old.path, { recursive: true, force: true });
      this.store.databases.deleteBackup(old.id);
    }
    const oldest = kept.at(-1);
    if (oldest?.path && provider.pitr) await provider.pitr.pruneArchive(this.manager.spec(record), oldest.path);
  }

  /**
   * Point-in-time recovery into a NEW database: the newest base backup taken before `time`,
   * replayed from the WAL archive up to `time`.
   */
  async restoreToTime(record: DatabaseRecord, time: Date, target: InstanceContext): Promise<DatabaseRecord> {
    const { store } = this;
    const provider = providerFor(this.manager.providers, record.engine);
    if (!provider.pitr) throw new WharfError('CONFLICT', `${record.engine} has no point-in-time recovery`, { hint: 'Restore a backup instead: `wharf db restore BACKUP`.' });
    if (time.getTime() > Date.now()) throw new WharfError('BAD_REQUEST', `${time.toISOString()} is in the future`);
    const base = store.databases
      .backups(record.id)
      .find((b) => b.kind === 'base' && b.status === 'SUCCEEDED' && b.finishedAt !== null && Date.parse(b.finishedAt) <= time.getTime());
    if (!base?.path) {
      throw new WharfError('NOT_FOUND', `no base backup of this database finished before ${time.toISOString()}`, {
        hint: 'Point-in-time recovery replays from a base backup: `wharf db backup --base` takes one (Wharf takes one when the database is created).',
      });
    }
    if (store.databases.forInstance(target.instance.id)) throw new WharfError('CONFLICT', `${target.service.name} already has a database`, { hint: 'Restore to a new name with --to.' });
    const { options } = this.manager.ctx;
    const id = store.databases.newId();
    // The recovered database holds the source's roles, so it keeps the source's credentials.
    const created = store.databases.create({ id, instanceId: target.instance.id, engine: record.engine, port: await freeDatabasePort(store, options.privatePorts), dataDir: path.join(options.paths.data, id), credentials: record.credentials, backupSchedule: null, verifySchedule: record.verifySchedule });
    try {
      await mkdir(created.dataDir, { recursive: true, mode: 0o700 });
      writeRuntime(created.dataDir, readRuntime(record.dataDir));
      // What was written up to now must be in the archive before replaying to a recent time.
      await provider.pitr.archiveNow?.(this.manager.spec(record));
      await provider.pitr.prepareRecovery(this.manager.spec(record), base.path, this.manager.spec(created), time);
      // bootstrap waits for the replay to end and the database to open read-write.
      await this.manager.start(created);
      store.databases.setStatus(created.id, 'READY');
      return store.databases.get(created.id);
    } catch (error) {
      store.databases.setStatus(created.id, 'FAILED', (error as Error).message);
      throw error;
    }
  }

  /** The backup's file here, fetched back from its off-site copy when it is gone. */
  private async fileOf(backup: BackupRecord): Promise<string> {
    return this.offsite ? this.offsite.localFile(backup) : backup.path!;
  }

  private checkRestorable(backup: BackupRecord, engine: string): void {
    if (backup.status !== 'SUCCEEDED' || !backup.path) {
      throw new WharfError('CONFLICT', `backup ${backup.id} is ${backup.status.toLowerCase()} and cannot be restored`, { hint: 'Pick a SUCCEEDED one from `wharf db list-backups`.' });
    }
    if (backup.kind === 'base') throw new WharfError('BAD_REQUEST', `${backup.id} is a base backup for point-in-time recovery`, { hint: 'Use `wharf db restore --to-time "…" --to NAME`.' });
    if (backup.engine !== engine) throw new WharfError('BAD_REQUEST', `backup ${backup.id} is a ${backup.engine} backup, not ${engine}`);
  }

  /** A scratch server for verification, supervised like any other so nothing is left behind. */
  private async runScratch(spec: DatabaseSpec): Promise<void> {
    const { ctx } = this.manager;
    const provider = providerFor(this.manager.providers, spec.engine);
    // No network: a scratch server is reached only by Wharf, on 127.0.0.1.
    const replica = await prepareServer({
      provider,
      spec,
      docker: this.manager.docker,
      serviceInstanceId: 'verification',
      restart: { policy: 'NEVER', maxRetries: 0 },
      stopGraceMs: 30_000,
      logFile: path.join(ctx.options.paths.logs, 'verification', `${spec.id}.log`),
    });
    await ctx.runtime.start(replica);
    await waitForPort(spec.port, 60_000, async () => {
      const now = (await ctx.runtime.list()).find((s) => s.replicaId === spec.id);
      return !now || now.state === 'crashed' || now.state === 'exited' ? (now?.lastReason ?? 'gone') : null;
    });
    await untilServing(provider, spec);
  }
}
