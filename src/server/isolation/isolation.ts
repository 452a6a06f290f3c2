import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { WharfError } from '../../core/errors.js';
import type { WharfPaths } from '../../core/paths.js';
import type { RunAs } from '../../core/runtime.js';
import type { Store } from '../store/store.js';
import { workCopyModeFromEnv, type WorkCopyMode } from './work-copy.js';

// Where and as whom apps run on the process runtime (docs/isolation.md). Run as root, Wharf
// gives each service instance its own uid/gid (WHARF_APP_UID_BASE + a slot recorded in the
// store; no /etc/passwd entry needed), and every replica, build and one-off command of that
// instance runs as it, in a folder of WHARF_APPS_DIR (outside the state folder). Run as anyone
// else it cannot change users: apps run as Wharf's own user, and it says so.

export interface IsolationOptions {
  /** Apps run as their own users (Wharf is root). */
  readonly enabled: boolean;
  readonly uidBase: number;
  readonly uidCount: number;
  /** Working folders of replicas, jobs and builds: never inside the state folder. */
  readonly appsDir: string;
  readonly workCopy: WorkCopyMode;
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number of at least ${min}, got '${raw}'`);
  return value;
}

export function isolationOptionsFromEnv(paths: WharfPaths, env: NodeJS.ProcessEnv = process.env): IsolationOptions {
  const uidBase = whole(env, 'WHARF_APP_UID_BASE', 200_000, 1000);
  const uidCount = whole(env, 'WHARF_APP_UID_COUNT', 65_536, 1);
  if (uidBase + uidCount > 2 ** 31) throw new Error('WHARF_APP_UID_BASE + WHARF_APP_UID_COUNT must stay below 2^31');
  const appsDir = path.resolve(paths.apps);
  const home = path.resolve(paths.home);
  if (appsDir === home || appsDir.startsWith(home + path.sep)) {
    throw new Error(`WHARF_APPS_DIR (${appsDir}) must be outside the state folder ${home}: apps must not reach it`);
  }
  return Object.freeze({ enabled: process.getuid?.() === 0, uidBase, uidCount, appsDir, workCopy: workCopyModeFromEnv(env) });
}

/** The user an instance's processes run as; null when Wharf cannot change users. */
export function appUserFor(ctx: { store: Store; options: { isolation: IsolationOptions } }, instanceId: string): RunAs | null {
  const { isolation } = ctx.options;
  if (!isolation.enabled) return null;
  const slot = ctx.store.appUsers.allocate(instanceId, isolation.uidCount);
  if (slot === null) {
    throw new WharfError('CONFLICT', `no app user left: all ${isolation.uidCount} uids from ${isolation.uidBase} are taken`, {
      hint: 'Raise WHARF_APP_UID_COUNT (or move WHARF_APP_UID_BASE to a larger free range) and restart Wharf.',
    });
  }
  const uid = isolation.uidBase + slot;
  return { uid, gid: uid };
}

/** The folders under WHARF_APPS_DIR: Wharf's, enterable by apps, listable by none. */
export function appsFolders(appsDir: string) {
  return {
    replicas: path.join(appsDir, 'replicas'),
    jobs: path.join(appsDir, 'jobs'),
    builds: path.join(appsDir, 'builds'),
  };
}

/**
 * Makes WHARF_APPS_DIR, and closes the state folder's sub-folders that apps must never reach
 * (releases, sources, logs, backups, the router's table and socket, replica specs): 0700. The
 * state folder itself may be 0711 as root (a database's own user passes through it, home.ts).
 */
export function prepareIsolation(paths: WharfPaths, isolation: IsolationOptions): void {
  mkdirSync(isolation.appsDir, { recursive: true, mode: 0o711 });
  chmodSync(isolation.appsDir, 0o711);
  for (const dir of Object.values(appsFolders(isolation.appsDir))) {
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    chmodSync(dir, 0o711);
  }
  for (const dir of [paths.run, paths.replicas, paths.sources, paths.releases, paths.logs, paths.backups, path.dirname(paths.routerTable)]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
}

/** What Wharf cannot guarantee as it runs now: said at start and by `wharf doctor`. */
export function isolationWarnings(isolation: IsolationOptions): string[] {
  if (!isolation.enabled) {
    return [
      'Wharf is not running as root, so apps run as its own user: an app can read the state folder (secret key, database, API token in the CLI config), signal and read other apps\' processes, and talk to the router\'s admin socket. Run Wharf as root on a server shared by apps you do not all trust (docs/isolation.md).',
      'Releases are protected from apps by read-only files only: an app, being their owner, could make them writable again.',
    ];
  }
  const blocked = firstClosedAncestor(isolation.appsDir);
  return blocked
    ? [`Apps cannot reach their folders: ${blocked} is closed to other users, so every app would fail to start. Set WHARF_APPS_DIR to a folder whose parents others may enter (e.g. /var/lib/wharf-apps).`]
    : [];
}

/** The first parent of `dir` that a user other than its owner cannot pass through. */
function firstClosedAncestor(dir: string): string | null {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return current;
    } catch {
      return current;
    }
    if (current === path.dirname(current)) return null;
  }
}

