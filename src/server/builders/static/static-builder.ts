import path from 'node:path';
import type { BuildPlan, Builder, SourceDir } from '../../../core/build.js';
import { entryPath, nodeEntryArgv } from '../../../core/entrypoint.js';
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

const STATIC_SERVER_ENTRY = entryPath(import.meta.url, '../../../static-server/main');

export function staticServerArgv(dirs: readonly string[]): string[] {
  return nodeEntryArgv(STATIC_SERVER_ENTRY, dirs);
}

/** The folders a static-server start argv serves, or null when the argv starts something else. */
export function staticDirsOf(argv: readonly string[]): string[] | null {
  const at = argv.indexOf(STATIC_SERVER_ENTRY);
  return at === -1 ? null : argv.slice(at + 1);
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
