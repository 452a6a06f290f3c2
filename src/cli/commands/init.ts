import path from 'node:path';
import type { Command } from 'commander';
import type { ProjectView } from '../../core/api.js';
import { checkName, suggestName } from '../../core/names.js';
import { findProjectFile } from '../../shared/config/project-file.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson } from '../output/table.js';
import { PROJECT_KINDS } from './up.js';

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
      // A folder deployed as one service is linked to the service `wharf up` will create, so
      // `wharf variables set …` works before the first deploy (it creates the service). A project
      // file names its own services: no service is linked for it.
      const found = await findProjectFile(process.cwd());
      const service = found && PROJECT_KINDS.has(found.kind) ? undefined : checkName('service', globals.service ?? 'web');
      ctx.saveLink(process.cwd(), { project: project.name, environment: 'production', ...(service ? { service } : {}) });
      if (globals.json) return printJson(project);
      console.log(`Created project ${project.name} (environment: production) and linked ${process.cwd()}${service ? ` to service ${service}` : ''}`);
      console.log(service ? 'Next: `wharf variables set KEY=VALUE` if the app needs variables, then `wharf up` to deploy this folder.' : 'Next: `wharf up` to deploy this folder.');
    });
}
