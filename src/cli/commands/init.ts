import path from 'node:path';
import type { Command } from 'commander';
import type { ProjectView } from '../../core/api.js';
import { checkName, suggestName } from '../../core/names.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson } from '../output/table.js';

export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('Create a project and link this folder to it (its production environment)')
    .option('--name <name>', 'project name (default: the folder name)')
    .action(async (opts: { name?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      // Never prompts: the folder name is the default, so scripts and CI can run it as is.
      const name = checkName('project', opts.name ?? suggestName(path.basename(process.cwd())));
      const project = await ctx.client().post<ProjectView>('/v1/projects', { name });
      ctx.saveLink(process.cwd(), { project: project.name, environment: 'production' });
      if (globals.json) return printJson(project);
      console.log(`Created project ${project.name} (environment: production) and linked ${process.cwd()}`);
      console.log('Next: `wharf up` to deploy this folder.');
    });
}
