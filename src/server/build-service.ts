import path from 'node:path';
import type { ArtifactRef } from '../core/artifact.js';
import type { BuildPlan, BuiltArtifact, SourceDir } from '../core/build.js';
import { WharfError } from '../core/errors.js';
import { planBuild } from './builders/detect.js';
import { buildRelease, removeRelease } from './builders/execute.js';
import type { BuildOptions, BuildService } from './deploy/context.js';

export interface LocalBuildOptions {
  sourcesDir: string;
  /** Where release folders go: <releases>/<instanceId>/<artifactId>. */
  releasesDir: string;
  /** For image builds: the engine (WHARF_DOCKER_HOST) and WHARF_HOME (labels). */
  dockerHost?: string;
  home?: string;
}

/** The image builder (and dockerode) load only for a docker build. */
async function imageBuilds(): Promise<typeof import('./builders/image/index.js')> {
  try {
    return await import('./builders/image/index.js');
  } catch (error) {
    throw new WharfError('BUILD_FAILED', `the docker runtime is not available: ${(error as Error).message}`, {
      hint: 'Check that dependencies are installed (`npm ci`), or build for the process runtime (unset WHARF_RUNTIME, or `runtime = "process"` in the project file).',
      cause: error,
    });
  }
}

/**
 * The builders and the source store, as the one seam the deploy pipeline uses: release folders
 * for the process runtime, images for docker. Images are removed by the runtime that runs them.
 */
export function localBuildService(options: LocalBuildOptions): BuildService {
  return {
    plan: (source, settings, context) => planBuild(source, settings, context),
    async build(plan, source, opts) {
      if (opts.runtime === 'docker') return (await imageBuilds()).buildImageArtifact(plan, source, { ...opts, ...(options.dockerHost ? { dockerHost: options.dockerHost } : {}), ...(options.home ? { home: options.home } : {}) });
      const releaseDir = path.join(options.releasesDir, opts.instanceId, opts.artifactId);
      return buildRelease(plan, source, { ...opts, releaseDir });
    },
    async removeArtifact(ref) {
      if (ref.kind === 'release') await removeRelease(ref.releaseDir);
      else await (await imageBuilds()).removeImageArtifact(ref, { ...(options.dockerHost ? { dockerHost: options.dockerHost } : {}) });
    },
    sourceDir: (digest: string): SourceDir => ({ path: path.join(options.sourcesDir, digest), digest }),
  };
}
