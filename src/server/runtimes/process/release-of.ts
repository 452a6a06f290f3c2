import type { ArtifactRef } from '../../../core/artifact.js';
import { WharfError } from '../../../core/errors.js';

/** The release folder a process-runtime replica, job or exec runs from; an image cannot run here. */
export function releaseDirOf(artifact: ArtifactRef, what: string): string {
  if (artifact.kind === 'release') return artifact.releaseDir;
  throw new WharfError('RUNTIME_ERROR', `${what} is an image (${artifact.image}); the process runtime runs release folders only`, {
    hint: 'Images run on the docker runtime: set WHARF_RUNTIME=docker or `runtime = "docker"` in the project file, then redeploy.',
  });
}
