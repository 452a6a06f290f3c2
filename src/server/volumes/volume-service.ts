import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RuntimeName } from '../../core/artifact.js';
import { WharfError } from '../../core/errors.js';
import type { ServerOptions } from '../options.js';
import type { Store } from '../store/store.js';
import { folderVolumes, type VolumeEngine } from './engine.js';
import { checkVolumeName } from './names.js';
import { instanceRuntime } from './runtime-of.js';
import { VolumeRepository, type VolumeRecord } from './volume-store.js';

// Listing, backing up and restoring the volumes of an environment, on whichever runtime each
// service runs. Backups are tar.gz files in `<backups>/volumes/<name>/`, newest first, the
// last KEEP_BACKUPS kept (older ones removed after each new backup).

export const KEEP_BACKUPS = 10;

export interface VolumeView {
  name: string;
  service: string;
  volume: string;
  mountPath: string;
  runtime: RuntimeName;
  /** Bytes in use, as the runtime measures them; null before the volume first exists. */
  sizeBytes: number | null;
  sizeGB: number | null;
  /** Still in the service's settings (a removed one is kept, with its data, until the service goes). */
  attached: boolean;
  createdAt: string;
  backups: number;
}

export interface VolumeBackup {
  /** The file's name without `.tar.gz`, e.g. 20261202T183501123Z. */
  id: string;
  volume: string;
  bytes: number;
  createdAt: string;
}

export interface VolumeDeps {
  store: Store;
  options: ServerOptions;
  /** The docker runtime's volumes (dockerVolumes); without it only process volumes are served. */
  engines?: Partial<Record<RuntimeName, VolumeEngine>>;
}

export class VolumeService {
  private readonly repo: VolumeRepository;
  constructor(private readonly deps: VolumeDeps) {
    this.repo = new VolumeRepository(deps.store.db);
  }

  private engine(instanceId: string): { runtime: RuntimeName; engine: VolumeEngine } {
    const runtime = instanceRuntime(this.deps, instanceId);
    const engine = runtime === 'process' ? (this.deps.engines?.process ?? folderVolumes(this.deps.options.paths.home)) : this.deps.engines?.[runtime];
    if (!engine) throw new WharfError('CONFLICT', `the ${runtime} runtime is not available on this server`, { hint: 'Start the server with the docker runtime enabled (see docs/configuration.md, Server environment).' });
    return { runtime, engine };
  }

  async list(environmentId: string): Promise<VolumeView[]> {
    const records = this.repo.forEnvironment(environmentId);
    const views: VolumeView[] = [];
    for (const record of records) {
      const { runtime, engine } = this.engine(record.instanceId);
      const sizes = await engine.sizes([record.name]);
      const ctx = this.deps.store.projects.describeInstance(record.instanceId);
      views.push({
        name: record.name,
        service: ctx.service.name,
        volume: record.volume,
        mountPath: record.mountPath,
        runtime,
        sizeBytes: sizes.get(record.name) ?? null,
        sizeGB: record.sizeGB,
        attached: ctx.instance.settings.volumes.some((v) => v.name === record.volume),
        createdAt: record.createdAt,
        backups: (await this.backups(record)).length,
      });
    }
    return views.sort((a, b) => a.service.localeCompare(b.service) || a.volume.localeCompare(b.volume));
  }

  /** A volume of the environment by its Wharf name, `service/volume`, or a service or volume name that is unambiguous. */
  find(environmentId: string, given: string): VolumeRecord {
    const records = this.repo.forEnvironment(environmentId);
    const exact = records.find((r) => r.name === given);
    if (exact) return exact;
    const matches = records.filter((r) => {
      const service = this.deps.store.projects.describeInstance(r.instanceId).service.name;
      return given === `${service}/${r.volume}` || given === service || given === r.volume;
    });
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new WharfError('BAD_REQUEST', `'${given}' names ${matches.length} volumes`, { hint: 'Name one as <service>/<volume>; `wharf volume list` shows them.' });
    throw new WharfError('NOT_FOUND', `no volume '${given}' in this environment`, { hint: 'List them with `wharf volume list`; a volume exists once its service has deployed with it.' });
  }

  private folder(record: VolumeRecord): string {
    return path.join(this.deps.options.paths.backups, 'volumes', checkVolumeName(record.name));
  }

  async backups(record: VolumeRecord): Promise<VolumeBackup[]> {
    let names: string[];
    try {
      names = await readdir(this.folder(record));
    } catch {
      return [];
    }
    const out: VolumeBackup[] = [];
    for (const file of names.filter((n) => /^\d{8}T\d{9}Z\.tar\.gz$/.test(n)).sort().reverse()) {
      const info = await stat(path.join(this.folder(record), file));
      out.push({ id: file.slice(0, -'.tar.gz'.length), volume: record.name, bytes: info.size, createdAt: info.mtime.toISOString() });
    }
    return out;
  }

  async backup(record: VolumeRecord, protect?: string): Promise<VolumeBackup> {
    const id = new Date().toISOString().replace(/[-:.]/g, '');
    const file = path.join(this.folder(record), `${id}.tar.gz`);
    await mkdir(this.folder(record), { recursive: true, mode: 0o700 });
    try {
      await this.engine(record.instanceId).engine.backup(record.name, file);
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    const all = await this.backups(record);
    for (const old of all.slice(KEEP_BACKUPS).filter((b) => b.id !== protect)) await rm(path.join(this.folder(record), `${old.id}.tar.gz`), { force: true });
    return all.find((b) => b.id === id)!;
  }

  /** Puts a backup (default: the newest) back, after a safety backup of what is there now. */
  async restore(record: VolumeRecord, backupId?: string): Promise<{ restored: VolumeBackup; safety: VolumeBackup }> {
    const all = await this.backups(record);
    const chosen = backupId ? all.find((b) => b.id === backupId) : all[0];
    if (!chosen) {
      throw new WharfError('NOT_FOUND', backupId ? `volume ${record.name} has no backup ${backupId}` : `volume ${record.name} has no backup`, { hint: 'Make one with `wharf volume backup`; `wharf volume backups NAME` lists them.' });
    }
    const safety = await this.backup(record, chosen.id);
    await this.engine(record.instanceId).engine.restore(record.name, path.join(this.folder(record), `${chosen.id}.tar.gz`));
    return { restored: chosen, safety };
  }

  /** For a service instance that is being deleted: its volumes, their data and their backups. */
  async removeForInstance(instanceId: string): Promise<void> {
    for (const record of this.repo.forInstance(instanceId)) {
      // A docker volume on a server started without the docker runtime stays, labelled, for it.
      const runtime = instanceRuntime(this.deps, instanceId);
      const engine = runtime === 'process' ? this.engine(instanceId).engine : this.deps.engines?.[runtime];
      await engine?.remove(record.name);
      await rm(this.folder(record), { recursive: true, force: true });
      this.repo.delete(record.name);
    }
  }
}
