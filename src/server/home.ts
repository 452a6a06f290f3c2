import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { WharfPaths } from '../core/paths.js';

/**
 * WHARF_HOME is private to the user running Wharf (0700), and so is everything in it: the
 * process umask is 077, so every folder and file Wharf, the router and the supervisors create
 * (logs, sources, releases, run/, backups) is 0700/0600 without each writer having to say so.
 * Running as root is the exception: Postgres refuses root and runs as its own user, which must
 * be able to pass through the home to its data directory — so the home and data folder become
 * 0711 (enter, not list) and the files that hold state are kept 0600 themselves. Returns what
 * the operator should know: as root, a home under a folder others cannot enter (an older
 * install's /root/.wharf).
 */
export function prepareHome(paths: WharfPaths): string[] {
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
  const closed = root ? closedAncestor(paths.home) : null;
  if (!closed) return [];
  return [
    `${paths.home} is inside ${closed} (mode ${(statSync(closed).mode & 0o777).toString(8).padStart(4, '0')}), which the postgres user cannot enter: managed Postgres databases will not start. ` +
      `Run \`chmod o+x ${closed}\` (others may enter it, not list it), or start afresh in /var/lib/wharf (WHARF_HOME=/var/lib/wharf for the server and the CLI).`,
  ];
}

/** The nearest folder above `dir` that users other than its owner may not pass through. */
function closedAncestor(dir: string): string | null {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return current;
    if (path.dirname(current) === current) return null;
  }
}
