import path from 'node:path';
import type { SourceDir } from '../../core/build.js';
import { WharfError } from '../../core/errors.js';

/** A service's folder inside the uploaded source (rootDirectory), never outside it. */
export function serviceSource(source: SourceDir, rootDirectory: string | null): SourceDir {
  if (!rootDirectory || rootDirectory === '.') return source;
  const relative = path.posix.normalize(rootDirectory.replace(/\\/g, '/')).replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (relative === '' || relative === '.') return source;
  if (path.posix.isAbsolute(relative) || relative === '..' || relative.startsWith('../')) {
    throw new WharfError('INVALID_CONFIG', `rootDirectory '${rootDirectory}' must be a folder inside the uploaded source`, {
      hint: 'Use a relative path such as `services/api`.',
    });
  }
  return { path: path.join(source.path, relative), digest: `${source.digest}/${relative}` };
}
