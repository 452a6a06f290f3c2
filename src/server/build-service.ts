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

type ImageBuilder = (plan: BuildPlan, source: SourceDir, opts: BuildOptions & { dockerHost?: string; home?: string }) => Promise<BuiltArtifact>;

// A variable, not a literal: the image builder (and dockerode) load only for a docker build.
const IMAGE_BUILDER_MODULE = './builders/image/index.js';

async function loadImageBuilder(): Promise<ImageBuilder> {
  let mod: { buildImageArtifact?: ImageBuilder };
  try {
    mod = (await import(IMAGE_BUILDER_MODULE)) as typeof mod;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ERR_MODULE_NOT_FOUND' ? 'this build of Wharf cannot build images' : (error as Error).message;
    throw new WharfError('BUILD_FAILED', `the docker runtime is not available: ${why}`, {
      hint: 'Build for the process runtime (unset WHARF_RUNTIME, or `runtime = "process"` in the project file), or install a Wharf with the docker driver.',
      cause: error,
    });
  }
  if (!mod.buildImageArtifact) throw new WharfError('BUILD_FAILED', 'the docker runtime is not available: the image builder is missing', { hint: 'Reinstall Wharf.' });
  return mod.buildImageArtifact;
}

/**
 * The builders and the source store, as the one seam the deploy pipeline uses: release folders
 * for the process runtime, images for docker. Images are removed by the runtime that runs them.
 */
export function localBuildService(options: LocalBuildOptions, removeImage?: (ref: ArtifactRef) => Promise<void>): BuildService {
  return {
    plan: (source, settings, context) => planBuild(source, settings, context),
    async build(plan, source, opts) {
      if (opts.runtime === 'docker') return (await loadImageBuilder())(plan, source, { ...opts, dockerHost: options.dockerHost, home: options.home });
      const releaseDir = path.join(options.releasesDir, opts.instanceId, opts.artifactId);
      return buildRelease(plan, source, { ...opts, releaseDir });
    },
    async removeArtifact(ref) {
      if (ref.kind === 'release') await removeRelease(ref.releaseDir);
      else await removeImage?.(ref);
    },
    sourceDir: (digest: string): SourceDir => ({ path: path.join(options.sourcesDir, digest), digest }),
  };
}
