import type { BuildPlan, Builder, SourceDir } from '../../../core/build.js';
import type { ServiceSettings } from '../../../core/settings.js';

// The user's own commands, when nothing else is recognised: buildCommand then startCommand.

export const COMMANDS_REQUIREMENT = 'a start command (`wharf settings --set startCommand="..."`)';

export function createCommandsBuilder(): Builder {
  return {
    name: 'COMMANDS',
    async detect(_source: SourceDir, settings: ServiceSettings): Promise<BuildPlan | null> {
      if (!settings.startCommand) return null;
      return {
        builder: 'COMMANDS',
        summary: 'Custom commands',
        steps: settings.buildCommand ? [{ name: 'build', argv: ['sh', '-c', settings.buildCommand] }] : [],
        start: { argv: ['sh', '-c', settings.startCommand], kind: 'web' },
      };
    },
  };
}
