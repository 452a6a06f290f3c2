import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import type { WharfPaths } from '../core/paths.js';

/**
 * WHARF_HOME is private to the user running Wharf (0700). Running as root is the exception:
 * Postgres refuses root and runs as its own user, which must be able to pass through the home
 * to its data directory — so the home and data folder become 0711 (enter, not list) and the
 * files that hold state are kept 0600 themselves.
 */
export function prepareHome(paths: WharfPaths): void {
  const root = process.getuid?.() === 0;
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  mkdirSync(paths.data, { recursive: true, mode: 0o700 });
  chmodSync(paths.home, root ? 0o711 : 0o700);
  chmodSync(paths.data, root ? 0o711 : 0o700);
  for (const file of [paths.database, `${paths.database}-wal`, `${paths.database}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}
