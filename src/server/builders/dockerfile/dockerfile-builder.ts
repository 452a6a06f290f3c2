import type { BuildPlan, Builder, DetectContext, SourceDir } from '../../../core/build.js';
import { WharfError } from '../../../core/errors.js';
import type { ServiceSettings } from '../../../core/settings.js';
import { readText } from '../../../shared/source-files.js';
import { locateDockerfile, DOCKERFILE_REQUIREMENT } from './locate.js';
import { declaredArgNames, parseDockerfile, type DockerfileInfo } from './parse-dockerfile.js';

// The user's own Dockerfile. It plans on any runtime (detect.ts decides what a process
// runtime does with the plan); the image's CMD/ENTRYPOINT starts it unless the user set a
// start command, so `start.argv` is empty here.

export { DOCKERFILE_REQUIREMENT };

export function createDockerfileBuilder(): Builder {
  return {
    name: 'DOCKERFILE',
    async detect(source: SourceDir, settings: ServiceSettings, context: DetectContext): Promise<BuildPlan | null> {
      const location = await locateDockerfile(source.path, settings, context.variables);
      if (!location) return null;
      const text = (await readText(source.path, location.dockerfile)) ?? '';
      const info = parseDockerfile(text);
      if (info.stages.length === 0) {
        throw new WharfError('INVALID_CONFIG', `${location.dockerfile} has no FROM instruction`, {
          hint: 'A Dockerfile starts from an image (`FROM node:20-bookworm-slim`); fix it and deploy again.',
        });
      }
      const target = settings.dockerTarget ? checkTarget(location.dockerfile, info, settings.dockerTarget) : undefined;
      const where = location.context === '.' ? location.dockerfile : `${location.dockerfile}, context ${location.context}/`;
      return {
        builder: 'DOCKERFILE',
        summary: `Dockerfile (${where}${target ? `, target ${target}` : ''})`,
        steps: [],
        start: { argv: [], kind: 'web' },
        dockerfile: { dockerfile: location.dockerfile, context: location.context, ...(target ? { target } : {}), args: declaredArgNames(info) },
      };
    },
  };
}

/** The stage `--target` names, as the engine compares it (case-insensitively). */
function checkTarget(file: string, info: DockerfileInfo, target: string): string {
  const wanted = target.trim().toLowerCase();
  if (info.stages.some((s) => s.name === wanted)) return wanted;
  const named = info.stages.filter((s) => s.name !== null).map((s) => s.name!);
  throw new WharfError('INVALID_CONFIG', `the target stage '${target}' is not in ${file}: ${named.length > 0 ? `its stages are ${named.join(', ')}` : 'it names no stages (FROM … AS <name>)'}`, {
    hint: named.length > 0 ? `Set one of them: \`wharf settings --set dockerTarget=${named[named.length - 1]}\`, or unset dockerTarget to build the last stage.` : 'Name a stage with `FROM image AS <name>`, or unset dockerTarget.',
    details: { target, stages: named },
  });
}
