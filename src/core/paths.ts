import os from 'node:os';
import path from 'node:path';

// Where Wharf keeps its state: WHARF_HOME, default ~/.wharf. One function per place so
// that no module builds these paths by hand.

export interface WharfPaths {
  home: string;
  database: string;
  /** The key file for secrets at rest (unless WHARF_SECRET_KEY is set). */
  secretKey: string;
  run: string;
  routerSocket: string;
  routerPidFile: string;
  routerTable: string;
  replicas: string;
  sources: string;
  releases: string;
  /** Managed databases' data directories. */
  data: string;
  backups: string;
  logs: string;
  accessLog: string;
  /** The router's per-10 s request aggregates, read by the metrics collector. */
  trafficLog: string;
  cliConfig: string;
  /**
   * Apps' working folders (replicas, one-off commands, builds): WHARF_APPS_DIR, default beside
   * the state folder (`<home>-apps`), never inside it (docs/isolation.md).
   */
  apps: string;
}

export function wharfPaths(home = process.env.WHARF_HOME ?? path.join(os.homedir(), '.wharf')): WharfPaths {
  const run = path.join(home, 'run');
  const logs = path.join(home, 'logs');
  return {
    home,
    database: path.join(home, 'wharf.db'),
    secretKey: path.join(home, 'secret.key'),
    run,
    routerSocket: path.join(run, 'router.sock'),
    routerPidFile: path.join(run, 'router.pid'),
    routerTable: path.join(home, 'router', 'routes.json'),
    replicas: path.join(run, 'replicas'),
    sources: path.join(home, 'sources'),
    releases: path.join(home, 'releases'),
    data: path.join(home, 'data'),
    backups: path.join(home, 'backups'),
    logs,
    accessLog: path.join(logs, 'router', 'access.log'),
    trafficLog: path.join(logs, 'router', 'traffic.log'),
    cliConfig: process.env.WHARF_CONFIG ?? path.join(home, 'config.json'),
    apps: process.env.WHARF_APPS_DIR || `${path.resolve(home)}-apps`,
  };
}
