import path from 'node:path';

// Where a volume lives on the process runtime: a folder of the state directory, the same one
// for every deploy, rollback and restart of its service. The process driver creates it and
// points RAILWAY_VOLUME_MOUNT_PATH at it; `wharf volume list` measures it; backups tar it.

export function volumeFolder(home: string, name: string): string {
  return path.join(home, 'volumes', name);
}
