import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Where Wharf keeps its state: WHARF_HOME, else /var/lib/wharf for root and ~/.wharf for other
// users (see wharfHome). One function per place so that no module builds these paths by hand.

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
  volumes: string;
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

/** Root's default, as other daemons keep theirs; WHARF_SYSTEM_DIR moves it (tests do). */
export const SYSTEM_DIR = '/var/lib/wharf';

export interface HomeFacts {
  env: NodeJS.ProcessEnv;
  uid: number | undefined;
  /** The user's home folder (os.homedir()). */
  userHome: string;
  exists: (file: string) => boolean;
}

/**
 * The state folder when none is given: WHARF_HOME if set; for root, /var/lib/wharf (managed
 * Postgres runs as the `postgres` user, which cannot pass through a 0700 /root to ~/.wharf),
 * unless ~/.wharf exists (an older install's state, or the CLI's config with its token and
 * links: the server warns when Postgres could not reach it); ~/.wharf for everyone else.
 * The CLI resolves it the same way, so both find the config file with the token.
 */
export function wharfHome(facts: HomeFacts = machineFacts()): string {
  if (facts.env.WHARF_HOME) return facts.env.WHARF_HOME;
  const personal = path.join(facts.userHome, '.wharf');
  if (facts.uid !== 0) return personal;
  if (facts.exists(personal)) return personal;
  return facts.env.WHARF_SYSTEM_DIR || SYSTEM_DIR;
}

/** This process's user, home folder and environment (or the given one). */
export function machineFacts(env: NodeJS.ProcessEnv = process.env): HomeFacts {
  return { env, uid: process.getuid?.(), userHome: env.HOME || os.homedir(), exists: existsSync };
}

export function wharfPaths(home: string = wharfHome()): WharfPaths {
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
    /** Volumes of the process runtime: one folder per volume (docs/architecture.md). */
    volumes: path.join(home, 'volumes'),
    data: path.join(home, 'data'),
    backups: path.join(home, 'backups'),
    logs,
    accessLog: path.join(logs, 'router', 'access.log'),
    trafficLog: path.join(logs, 'router', 'traffic.log'),
    cliConfig: process.env.WHARF_CONFIG ?? path.join(home, 'config.json'),
    apps: process.env.WHARF_APPS_DIR || `${path.resolve(home)}-apps`,
  };
}
