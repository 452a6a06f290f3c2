import { chmod, chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunAs, VolumeMount } from '../../../core/runtime.js';

// On the process runtime a volume is a folder under the state directory (<WHARF_HOME>/volumes/
// <name>), kept across deploys and rollbacks; the app finds it through RAILWAY_VOLUME_MOUNT_PATH,
// as on Railway, since a process cannot have a folder mounted at `mountPath`.

const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export const volumeDir = (volumesDir: string, name: string): string => {
  if (!VOLUME_NAME.test(name)) throw new Error(`'${name}' is not a valid volume name`);
  return path.join(path.resolve(volumesDir), name);
};

/**
 * Makes each volume's folder (0700, owned by the app's user) and returns the environment that
 * points the app at it. One volume per service, as on Railway: the first one is the mount path.
 */
export async function prepareVolumes(volumesDir: string, volumes: readonly VolumeMount[] | undefined, user: RunAs | null): Promise<Record<string, string>> {
  if (!volumes || volumes.length === 0) return {};
  const dirs: string[] = [];
  for (const volume of volumes) {
    const dir = volumeDir(volumesDir, volume.name);
    await mkdir(path.dirname(dir), { recursive: true, mode: 0o711 });
    // The server's umask (077) narrowed the mode: apps running as their own users pass through.
    await chmod(path.dirname(dir), 0o711);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (user) await chown(dir, user.uid, user.gid);
    dirs.push(dir);
  }
  return { RAILWAY_VOLUME_MOUNT_PATH: dirs[0]! };
}
