import { createReadStream, createWriteStream } from 'node:fs';
import { chown, lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type Docker from 'dockerode';
import * as tar from 'tar';
import { WharfError } from '../../core/errors.js';
import { volumeFolder } from './folder.js';
import { checkVolumeName, dockerVolumeName } from './names.js';

// What a runtime keeps of a volume, behind one small interface: its size, a tar.gz of its
// files, putting such a file back, and removing it with its service. The process runtime's
// volume is a folder (folder.ts); the docker runtime's a named volume the engine holds.

export interface VolumeEngine {
  /** Bytes used by each of `names` that exists (a volume never mounted yet has no entry). */
  sizes(names: readonly string[]): Promise<Map<string, number>>;
  /** Writes the volume's files as a gzipped tar to `file`. */
  backup(name: string, file: string): Promise<void>;
  /** Replaces the volume's files with those of a gzipped tar made by backup(). */
  restore(name: string, file: string): Promise<void>;
  remove(name: string): Promise<void>;
}

/** The process runtime: `<home>/volumes/<name>`. */
export function folderVolumes(home: string): VolumeEngine {
  const folder = (name: string) => volumeFolder(home, checkVolumeName(name));
  return {
    async sizes(names) {
      const out = new Map<string, number>();
      for (const name of names) {
        const bytes = await folderBytes(folder(name));
        if (bytes !== null) out.set(name, bytes);
      }
      return out;
    },
    async backup(name, file) {
      const dir = folder(name);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      // portable: no uid/gid or mtime noise from this machine; the files' modes are kept.
      await pipeline(tar.c({ cwd: dir, portable: true, gzip: false }, ['.']), createGzip(), createWriteStream(file, { mode: 0o600 }));
    },
    async restore(name, file) {
      const dir = folder(name);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // The folder stays (the process driver made it, owned by the app's user); only what is
      // in it is replaced, and what the backup brings gets the folder's owner.
      const owner = await stat(dir);
      for (const entry of await readdir(dir)) await rm(path.join(dir, entry), { recursive: true, force: true });
      // tar refuses absolute paths and `..` entries by default, so a backup never writes outside.
      await pipeline(createReadStream(file), createGunzip(), tar.x({ cwd: dir, preserveOwner: false }));
      if (process.getuid?.() === 0) await chownTree(dir, owner.uid, owner.gid);
    },
    async remove(name) {
      await rm(folder(name), { recursive: true, force: true });
    },
  };
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    // lchown semantics: a symlink in a backup is re-owned itself, never what it points to.
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isSymbolicLink()) continue;
    await chown(file, uid, gid);
  }
}

/** Apparent size of a folder's files (no symlinks followed); null when it does not exist. */
export async function folderBytes(dir: string): Promise<number | null> {
  try {
    if (!(await lstat(dir)).isDirectory()) return null;
  } catch {
    return null;
  }
  let total = 0;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    try {
      total += (await lstat(path.join(entry.parentPath, entry.name))).size;
    } catch {
      // Removed while we counted: the app is writing; the size is a moment's figure anyway.
    }
  }
  return total;
}

/**
 * The docker runtime: named volumes `wharf-vol-<name>`. Sizes come from the engine
 * (`GET /system/df`); backups and restores go through a created-never-started helper container
 * that mounts the volume (`GET`/`PUT /containers/{id}/archive`), so no shell runs and nothing
 * but the volume is reachable. `helperImage` is any image the engine has (it never runs).
 */
export function dockerVolumes(docker: Docker, opts: { helperImage: string | (() => Promise<string>); labels?: Record<string, string> }): VolumeEngine {
  const withHelper = async <T>(name: string, readOnly: boolean, work: (c: Docker.Container) => Promise<T>): Promise<T> => {
    const container = await docker.createContainer({
      Image: typeof opts.helperImage === 'string' ? opts.helperImage : await opts.helperImage(),
      Cmd: ['true'],
      Labels: { ...opts.labels, 'wharf.managed': '1', 'wharf.role': 'volume-helper' },
      HostConfig: { Mounts: [{ Type: 'volume', Source: dockerVolumeName(name), Target: '/volume', ReadOnly: readOnly }], NetworkMode: 'none' },
    });
    try {
      return await work(container);
    } finally {
      await container.remove({ force: true, v: false });
    }
  };
  return {
    async sizes(names) {
      const wanted = new Map(names.map((n) => [dockerVolumeName(n), n]));
      const df = (await docker.df()) as { Volumes?: Array<{ Name: string; UsageData?: { Size?: number } | null }> | null };
      const out = new Map<string, number>();
      for (const v of df.Volumes ?? []) {
        const name = wanted.get(v.Name);
        // -1: the engine has not measured it (it only does for volumes it can see the files of).
        if (name && v.UsageData && typeof v.UsageData.Size === 'number' && v.UsageData.Size >= 0) out.set(name, v.UsageData.Size);
      }
      return out;
    },
    async backup(name, file) {
      await inspectVolume(docker, name);
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await withHelper(name, true, async (c) => {
        // The archive of /volume/. has entries `./…`: the same layout as a folder backup.
        const stream = await c.getArchive({ path: '/volume/.' });
        await pipeline(stream, createGzip(), createWriteStream(file, { mode: 0o600 }));
      });
    },
    async restore(name, file) {
      const info = await inspectVolume(docker, name);
      // A fresh volume, so files the backup did not have are gone; the engine refuses while a
      // container uses it, which is the error the user sees (stop the service first).
      try {
        await docker.getVolume(dockerVolumeName(name)).remove();
      } catch (error) {
        throw new WharfError('CONFLICT', `volume ${name} is in use: ${(error as Error).message}`, { hint: 'Stop the service first (`wharf down --service …`), restore, then deploy it again.' });
      }
      await docker.createVolume({ Name: dockerVolumeName(name), Labels: info.Labels ?? {} });
      await withHelper(name, false, async (c) => {
        const gunzipped = createReadStream(file).pipe(createGunzip());
        await c.putArchive(gunzipped, { path: '/volume' });
      });
    },
    async remove(name) {
      try {
        await docker.getVolume(dockerVolumeName(name)).remove();
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      }
    },
  };
}

async function inspectVolume(docker: Docker, name: string): Promise<{ Labels?: Record<string, string> | null }> {
  try {
    return (await docker.getVolume(dockerVolumeName(name)).inspect()) as { Labels?: Record<string, string> | null };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) {
      throw new WharfError('NOT_FOUND', `volume ${name} has not been created yet`, { hint: 'A volume is created when its service first deploys (`wharf up`).' });
    }
    throw error;
  }
}

/**
 * The docker volumes of a server whose docker driver loads on first use: the engine is asked for
 * only when a docker volume is listed, backed up, restored or removed. The helper container
 * never runs, so any image the engine holds will do: the first one it lists.
 */
export function lazyDockerVolumes(engine: () => Promise<Docker>, labels?: Record<string, string>): VolumeEngine {
  let made: Promise<VolumeEngine> | null = null;
  const get = () =>
    (made ??= engine().then((docker) =>
      dockerVolumes(docker, {
        ...(labels ? { labels } : {}),
        helperImage: async () => {
          const images = await docker.listImages();
          if (!images[0]) throw new WharfError('CONFLICT', 'the Docker engine holds no image to mount the volume with', { hint: 'Deploy the service once (or pull any image), then try again.' });
          return images[0].Id;
        },
      }),
    )).catch((error: unknown) => {
      made = null;
      throw error;
    });
  return {
    sizes: async (names) => (await get()).sizes(names),
    backup: async (name, file) => (await get()).backup(name, file),
    restore: async (name, file) => (await get()).restore(name, file),
    remove: async (name) => (await get()).remove(name),
  };
}
