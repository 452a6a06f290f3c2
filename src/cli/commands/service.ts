import type { Command } from 'commander';
import type { ProjectView } from '../../core/api.js';
import { WharfError } from '../../core/errors.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson } from '../output/table.js';

// `wharf service NAME` (`railway service NAME`): link this folder to one of the linked project's
// services, so later commands (`variables`, `logs`, `run` …) are about it without -s.

export function registerService(program: Command, ctx: CliContext): void {
  program
    .command('service')
    .description("Link this folder to a service of its project (without NAME: the linked one and the project's services)")
    .argument('[name]', 'service name')
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const { project, environment } = ctx.project(globals);
      const view = await ctx.client().get<ProjectView>(`/v1/projects/${encodeURIComponent(project)}`);
      const names = view.services.map((s) => s.name);
      if (name === undefined) {
        const linked = ctx.link()?.service ?? null;
        if (globals.json) return printJson({ project, environment, service: linked, services: names });
        console.log(`Linked service: ${linked ?? 'none'} (project ${project}, environment ${environment})`);
        return console.log(`Services: ${names.join(', ') || 'none yet'}. Link one with \`wharf service NAME\`.`);
      }
      if (!names.includes(name)) {
        throw new WharfError('NOT_FOUND', `project '${project}' has no service '${name}'`, {
          hint: names.length > 0 ? `Services: ${names.join(', ')}.` : 'Deploy one with `wharf up`.',
        });
      }
      const link = { project, environment, service: name };
      ctx.saveLink(process.cwd(), link);
      if (globals.json) return printJson(link);
      console.log(`Linked ${process.cwd()} to service ${name} (${project}/${environment})`);
    });
}
