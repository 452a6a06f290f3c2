import { WharfError } from '../../../core/errors.js';
import type { BuildStep, StartPlan } from '../../../core/build.js';
import { firstFile, isFile, readText } from '../../../shared/source-files.js';
import { detectPackageManager, installArgv, type FindExecutable, type PackageManager } from './package-manager.js';

// What a package.json says about installing, building and starting. Shared by the Node,
// static and Procfile builders, which all install and build a Node project the same way.

export interface PackageJson {
  main?: unknown;
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  optionalDependencies?: Record<string, unknown>;
}

export interface NodeProject {
  pkg: PackageJson;
  pm: PackageManager;
  /** install (unless there are no dependencies) then the build script, if any. */
  steps: BuildStep[];
  hasBuildScript: boolean;
  /** What starts it, or null when package.json and the files name nothing. */
  start: StartPlan | null;
}

export const NODE_ENTRY_FILES = ['server.js', 'index.js', 'app.js'] as const;

export async function inspectNodeProject(root: string, findExecutable: FindExecutable): Promise<NodeProject | null> {
  const text = await readText(root, 'package.json');
  if (text === null) return null;
  const pkg = parsePackageJson(text);
  const pm = await detectPackageManager(root, findExecutable);
  const scripts = pkg.scripts ?? {};
  const hasBuildScript = typeof scripts.build === 'string' && scripts.build.trim() !== '';

  const steps: BuildStep[] = [];
  if (hasDependencies(pkg)) steps.push({ name: 'install', argv: installArgv(pm) });
  if (hasBuildScript) steps.push({ name: 'build', argv: [...pm.argv, 'run', 'build'] });

  return { pkg, pm, steps, hasBuildScript, start: await startOf(root, pkg, pm, hasBuildScript) };
}

async function startOf(root: string, pkg: PackageJson, pm: PackageManager, hasBuildScript: boolean): Promise<StartPlan | null> {
  const scripts = pkg.scripts ?? {};
  if (typeof scripts.start === 'string' && scripts.start.trim() !== '') return { argv: [...pm.argv, 'start'], kind: 'web' };
  // `main` may only appear after the build (e.g. dist/index.js from tsc).
  if (typeof pkg.main === 'string' && pkg.main.trim() !== '' && (hasBuildScript || (await mainExists(root, pkg.main)))) {
    return { argv: ['node', pkg.main], kind: 'web' };
  }
  const entry = await firstFile(root, NODE_ENTRY_FILES);
  return entry ? { argv: ['node', entry], kind: 'web' } : null;
}

async function mainExists(root: string, main: string): Promise<boolean> {
  return (await isFile(root, main)) || (await isFile(root, `${main}.js`)) || (await isFile(root, `${main}/index.js`));
}

function hasDependencies(pkg: PackageJson): boolean {
  return [pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies].some(
    (deps) => deps !== null && typeof deps === 'object' && Object.keys(deps).length > 0,
  );
}

function parsePackageJson(text: string): PackageJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new WharfError('INVALID_CONFIG', `package.json is not valid JSON: ${(err as Error).message}`, {
      hint: 'Fix package.json (try `node -e "require(\'./package.json\')"` locally) and deploy again.',
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WharfError('INVALID_CONFIG', 'package.json must hold a JSON object', { hint: 'Fix package.json and deploy again.' });
  }
  return value as PackageJson;
}
