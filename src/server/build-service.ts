import path from 'node:path';
import type { SourceDir } from '../core/build.js';
import { planBuild } from './builders/detect.js';
import { buildRelease, removeRelease } from './builders/execute.js';
import type { BuildService } from './deploy/context.js';

/** The builders and the source store, as the one seam the deploy pipeline uses. */
export function localBuildService(sourcesDir: string): BuildService {
  return {
    plan: (source, settings) => planBuild(source, settings),
    build: (plan, source, opts) => buildRelease(plan, source, opts),
    removeRelease,
    sourceDir: (digest: string): SourceDir => ({ path: path.join(sourcesDir, digest), digest }),
  };
}
