import type { Command } from 'commander';
import type { ProjectView } from '../../core/api.js';
import { WharfError } from '../../core/errors.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson } from '../output/table.js';

export function registerLink(program: Command, ctx: CliContext): void {
  program
    .command('link')
    .description('Link this folder to an existing project (and optionally an environment and service)')
    .argument('<project>', 'project name')
    .action(async (projectName: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const project = await ctx.client().get<ProjectView>(`/v1/projects/${encodeURIComponent(projectName)}`);
      const environment = globals.environment ?? 'production';
      if (!project.environments.some((e) => e.name === environment)) {
        throw new WharfError('NOT_FOUND', `project '${project.name}' has no environment '${environment}'`, {
          hint: `Environments: ${project.environments.map((e) => e.name).join(', ')}.`,
        });
      }
      const link = { project: project.name, environment, ...(globals.service ? { service: globals.service } : {}) };
      ctx.saveLink(process.cwd(), link);
      if (globals.json) return printJson(link);
      console.log(`Linked ${process.cwd()} to ${project.name} (${environment})${globals.service ? `, service ${globals.service}` : ''}`);
    });
}
