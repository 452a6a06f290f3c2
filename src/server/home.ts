import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import type { WharfPaths } from '../core/paths.js';

/**
 * WHARF_HOME is private to the user running Wharf (0700), and so is everything in it: the
 * process umask is 077, so every folder and file Wharf, the router and the supervisors create
 * (logs, sources, releases, run/, backups) is 0700/0600 without each writer having to say so.
 * Running as root is the exception: Postgres refuses root and runs as its own user, which must
 * be able to pass through the home to its data directory — so the home and data folder become
 * 0711 (enter, not list) and the files that hold state are kept 0600 themselves.
 */
export function prepareHome(paths: WharfPaths): void {
  process.umask(0o077);
  const root = process.getuid?.() === 0;
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  mkdirSync(paths.data, { recursive: true, mode: 0o700 });
  chmodSync(paths.home, root ? 0o711 : 0o700);
  chmodSync(paths.data, root ? 0o711 : 0o700);
  // Folders an earlier version made 0755: closing them closes what is inside.
  for (const dir of [paths.logs, paths.sources, paths.releases, paths.run, paths.backups]) {
    if (existsSync(dir)) chmodSync(dir, 0o700);
  }
  for (const file of [paths.database, `${paths.database}-wal`, `${paths.database}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}
