import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuildPlan, Builder, SourceDir } from '../../../core/build.js';
import { entryPath } from '../../../core/entrypoint.js';
import { WharfError } from '../../../core/errors.js';
import type { ServiceSettings } from '../../../core/settings.js';
import { inspectNodeProject } from '../node/node-project.js';
import { findOnPath, type FindExecutable } from '../node/package-manager.js';
import { isFile } from '../../../shared/source-files.js';

// A folder of files served by Wharf's own static server. When a build comes first, the
// output folder is not known yet: the server gets every candidate and serves the first
// one holding index.html (execute.ts checks one exists before the release is kept).

export const STATIC_DIR_CANDIDATES = ['dist', 'build', 'public', 'out', '.'] as const;
export const STATIC_REQUIREMENT = 'an index.html in the root, dist/, build/, public/ or out/ (or a build script that produces one)';

export function createStaticBuilder(options: { findExecutable?: FindExecutable } = {}): Builder {
  const findExecutable = options.findExecutable ?? ((name: string) => findOnPath(name));
  return {
    name: 'STATIC',
    async detect(source: SourceDir, settings: ServiceSettings): Promise<BuildPlan | null> {
      const explicit = settings.builder === 'STATIC';
      const node = await inspectNodeProject(source.path, findExecutable);
      // A Node project that starts itself is an app, not a folder of files.
      if (node?.start && !explicit) return null;

      const nodeBuilds = node?.hasBuildScript ?? false;
      const builds = nodeBuilds || settings.buildCommand !== null;
      const present: string[] = [];
      for (const dir of STATIC_DIR_CANDIDATES) if (await isFile(source.path, path.join(dir, 'index.html'))) present.push(dir);

      let dirs: string[];
      if (settings.staticDir) dirs = [checkStaticDir(settings.staticDir)];
      else if (builds && (nodeBuilds || present.length > 0)) dirs = [...STATIC_DIR_CANDIDATES];
      else if (present.length > 0) dirs = [present[0]!];
      else return null;

      const steps = nodeBuilds && node ? node.steps : [];
      const where = dirs.length === 1 ? (dirs[0] === '.' ? 'the root' : `${dirs[0]}/`) : 'the build output';
      return {
        builder: 'STATIC',
        summary: `Static site (${where}${nodeBuilds && node ? `, built with ${node.pm.name}` : ''})`,
        steps,
        start: { argv: staticServerArgv(dirs), kind: 'web' },
      };
    },
  };
}

/**
 * Wharf's static server travels with the release (and the image): the executor copies its
 * compiled files into this folder of the build output, so a site runs as its own user without
 * reading anything of Wharf's install, which may sit in a folder only root can enter.
 */
export const STATIC_SERVER_DIR = '.wharf/static-server';
const STATIC_SERVER_MAIN = `${STATIC_SERVER_DIR}/main.js`;
const STATIC_SERVER_FILES = ['main', 'serve', 'content-types'] as const;

export function staticServerArgv(dirs: readonly string[]): string[] {
  return [process.execPath, STATIC_SERVER_MAIN, ...dirs];
}

/** The folders a static-server start argv serves, or null when the argv starts something else. */
export function staticDirsOf(argv: readonly string[]): string[] | null {
  return argv[1] === STATIC_SERVER_MAIN ? argv.slice(2) : null;
}

/**
 * The static server's files, by their path in the build output, when the plan serves a static
 * site. It needs only Node's own modules. Under tsx (tests) the sources are TypeScript: the
 * compiled copy in dist/ is used (`npm run build`).
 */
export async function staticServerFiles(startArgv: readonly string[]): Promise<Record<string, Buffer | string>> {
  if (!staticDirsOf(startArgv)) return {};
  const entry = entryPath(import.meta.url, '../../../static-server/main');
  const compiledDir = entry.endsWith('.ts') ? path.dirname(entry).replace(/([/\\])src([/\\])static-server$/, '$1dist$2static-server') : path.dirname(entry);
  const files: Record<string, Buffer | string> = { [`${STATIC_SERVER_DIR}/package.json`]: '{ "type": "module" }\n' };
  for (const name of STATIC_SERVER_FILES) {
    const file = path.join(compiledDir, `${name}.js`);
    try {
      files[`${STATIC_SERVER_DIR}/${name}.js`] = await readFile(file);
    } catch {
      throw new WharfError('BUILD_FAILED', `Wharf's static server is missing (${file})`, { hint: 'Build Wharf (`npm run build`) so that dist/static-server exists, then deploy again.' });
    }
  }
  return files;
}

function checkStaticDir(dir: string): string {
  const normalized = path.posix.normalize(dir.replace(/\\/g, '/')).replace(/\/+$/, '') || '.';
  if (path.posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) {
    throw new WharfError('INVALID_CONFIG', `staticDir '${dir}' must be a folder inside the source`, {
      hint: 'Set a relative folder, e.g. `wharf settings --set staticDir=dist`.',
    });
  }
  return normalized;
}
