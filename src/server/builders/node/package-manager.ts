import { promises as fs, constants } from 'node:fs';
import path from 'node:path';
import { isFile } from '../../../shared/source-files.js';

export type PackageManagerName = 'npm' | 'yarn' | 'pnpm';

/** Finds whether a program is runnable; injected so that plans stay testable. */
export type FindExecutable = (name: string) => Promise<boolean>;

export interface PackageManager {
  name: PackageManagerName;
  lockfile: string | null;
  /** How to invoke it: ['yarn'], or ['corepack', 'yarn'] when only corepack is on PATH. */
  argv: string[];
}

const LOCKFILES: Array<[string, PackageManagerName]> = [
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
  ['yarn.lock', 'yarn'],
  ['pnpm-lock.yaml', 'pnpm'],
];

export async function detectPackageManager(root: string, findExecutable: FindExecutable): Promise<PackageManager> {
  for (const [lockfile, name] of LOCKFILES) {
    if (await isFile(root, lockfile)) return { name, lockfile, argv: await invocation(name, findExecutable) };
  }
  return { name: 'npm', lockfile: null, argv: ['npm'] };
}

async function invocation(name: PackageManagerName, findExecutable: FindExecutable): Promise<string[]> {
  if (name === 'npm' || (await findExecutable(name))) return [name];
  if (await findExecutable('corepack')) return ['corepack', name];
  // Left as is: the build step then fails saying that `name` is not installed.
  return [name];
}

export function installArgv(pm: PackageManager): string[] {
  if (pm.name === 'npm') return pm.lockfile ? ['npm', 'ci'] : ['npm', 'install'];
  return [...pm.argv, 'install', '--frozen-lockfile'];
}

/** A PATH lookup, no shell: is there an executable file called `name` in one of PATH's directories? */
export async function findOnPath(name: string, envPath = process.env.PATH ?? ''): Promise<boolean> {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    try {
      await fs.access(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}
