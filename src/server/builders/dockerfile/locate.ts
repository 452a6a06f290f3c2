import { promises as fs } from 'node:fs';
import path from 'node:path';
import { WharfError } from '../../../core/errors.js';
import type { ServiceSettings } from '../../../core/settings.js';
import { isFile } from '../../../shared/source-files.js';
import { resolveInSource } from '../../../shared/read-in-source.js';

// Where a service's Dockerfile and build context are, as Railway finds them: the
// dockerfilePath setting (railway.json/toml build.dockerfilePath, render.yaml dockerfilePath,
// compose build.dockerfile), else the RAILWAY_DOCKERFILE_PATH variable, else `Dockerfile` at
// the service's root. Paths are relative to the service's folder and never leave it.

export interface DockerfileLocation {
  /** Relative to the source root, POSIX separators. */
  dockerfile: string;
  /** Relative to the source root; '.' for the root. */
  context: string;
  /** Where the path came from, for messages ("the dockerfilePath setting"). */
  origin: string;
  /** The user named a Dockerfile (a setting or the variable), rather than one being found. */
  named: boolean;
}

export const DOCKERFILE_REQUIREMENT = 'a Dockerfile at the root (or a dockerfilePath setting, or RAILWAY_DOCKERFILE_PATH)';

export async function locateDockerfile(
  root: string,
  settings: Pick<ServiceSettings, 'dockerfilePath' | 'dockerContext'>,
  variables: Readonly<Record<string, string>>,
): Promise<DockerfileLocation | null> {
  const fromVariable = variables.RAILWAY_DOCKERFILE_PATH?.trim() || null;
  const given = settings.dockerfilePath ?? fromVariable;
  const origin = settings.dockerfilePath ? 'the dockerfilePath setting' : fromVariable ? 'the RAILWAY_DOCKERFILE_PATH variable' : 'the service root';
  const context = settings.dockerContext ? inside(settings.dockerContext, 'dockerContext', 'the dockerContext setting') : '.';
  if (context !== '.' && !(await isDirectory(root, context))) {
    throw new WharfError('INVALID_CONFIG', `dockerContext '${settings.dockerContext}' (the dockerContext setting) is not a folder of the service's source`, {
      hint: 'Name a folder inside the service\'s root, e.g. `wharf settings --set dockerContext=.`.',
    });
  }
  if (!given) return (await isFile(root, 'Dockerfile')) ? { dockerfile: 'Dockerfile', context, origin, named: false } : null;

  const dockerfile = inside(given, 'dockerfilePath', origin);
  if (!(await isFile(root, dockerfile))) {
    const found = await dockerfilesAtRoot(root);
    throw new WharfError('INVALID_CONFIG', `dockerfilePath '${given}' (${origin}) is not a file of the service's source`, {
      hint:
        (found.length > 0 ? `Dockerfiles at the service's root: ${found.join(', ')}. ` : 'There is no Dockerfile at the service\'s root. ') +
        'Paths are relative to the service\'s root (rootDirectory); fix the path and deploy again.',
      details: { dockerfilePath: given, origin, found },
    });
  }
  return { dockerfile, context, origin, named: true };
}

/** A relative path inside the source, normalised; `..` out of it or an absolute path is an error. */
function inside(given: string, field: string, origin: string): string {
  const normalized = path.posix.normalize(given.trim().replace(/\\/g, '/')).replace(/^\.\/+/, '').replace(/\/+$/, '') || '.';
  if (path.posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) {
    throw new WharfError('INVALID_CONFIG', `${field} '${given}' (${origin}) must stay inside the service's source`, {
      hint: `Give a path relative to the service's root without '..', e.g. \`wharf settings --set ${field}=${field === 'dockerContext' ? '.' : 'Dockerfile'}\`.`,
    });
  }
  return normalized;
}

async function isDirectory(root: string, rel: string): Promise<boolean> {
  const real = await resolveInSource(root, rel);
  return real !== null && (await fs.stat(real)).isDirectory();
}

async function dockerfilesAtRoot(root: string): Promise<string[]> {
  const names = await fs.readdir(root).catch(() => [] as string[]);
  return names.filter((n) => /^dockerfile/i.test(n) || /\.dockerfile$/i.test(n)).sort();
}
