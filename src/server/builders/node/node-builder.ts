import type { BuildPlan, Builder, SourceDir } from '../../../core/build.js';
import type { ServiceSettings } from '../../../core/settings.js';
import { inspectNodeProject } from './node-project.js';
import { findOnPath, type FindExecutable } from './package-manager.js';

export const NODE_REQUIREMENT = 'a package.json with a start script, a main file, or server.js/index.js/app.js';

export function createNodeBuilder(options: { findExecutable?: FindExecutable } = {}): Builder {
  const findExecutable = options.findExecutable ?? ((name: string) => findOnPath(name));
  return {
    name: 'NODE',
    async detect(source: SourceDir, settings: ServiceSettings): Promise<BuildPlan | null> {
      const project = await inspectNodeProject(source.path, findExecutable);
      if (!project) return null;
      // Without a start of its own the project still builds here when the user names the start.
      const start = project.start ?? (settings.startCommand ? { argv: ['sh', '-c', settings.startCommand], kind: 'web' as const } : null);
      if (!start) return null;
      const how = project.pm.lockfile ? `${project.pm.name}, ${project.pm.lockfile}` : `${project.pm.name}, no lockfile`;
      return { builder: 'NODE', summary: `Node.js (${how})`, steps: project.steps, start };
    },
  };
}
