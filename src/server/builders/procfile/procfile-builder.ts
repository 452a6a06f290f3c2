import type { BuildPlan, Builder, SourceDir } from '../../../core/build.js';
import { WharfError } from '../../../core/errors.js';
import type { ServiceSettings } from '../../../core/settings.js';
import { inspectNodeProject } from '../node/node-project.js';
import { findOnPath, type FindExecutable } from '../node/package-manager.js';
import { mainProcess, readProcfile, releaseProcess } from '../../../shared/config/procfile.js';

export const PROCFILE_REQUIREMENT = 'a Procfile';

export function createProcfileBuilder(options: { findExecutable?: FindExecutable } = {}): Builder {
  const findExecutable = options.findExecutable ?? ((name: string) => findOnPath(name));
  return {
    name: 'PROCFILE',
    async detect(source: SourceDir, _settings: ServiceSettings): Promise<BuildPlan | null> {
      const processes = await readProcfile(source.path);
      if (!processes) return null;
      const main = mainProcess(processes);
      if (!main) {
        throw new WharfError('INVALID_CONFIG', 'Procfile has no process to run (only `release`, or nothing)', {
          hint: 'Add a line such as `web: node server.js` or `worker: node worker.js`.',
        });
      }
      const node = await inspectNodeProject(source.path, findExecutable);
      return {
        builder: 'PROCFILE',
        summary: `Procfile (${main.process.name}: ${main.process.command})${node ? `, Node.js with ${node.pm.name}` : ''}`,
        steps: node?.steps ?? [],
        start: { argv: ['sh', '-c', main.process.command], kind: main.kind },
        ...(releaseProcess(processes) ? { release: releaseProcess(processes)!.command } : {}),
      };
    },
  };
}
