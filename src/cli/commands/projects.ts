import type { Command } from 'commander';
import type { ProjectView } from '../../core/api.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson, table } from '../output/table.js';

export function registerProjects(program: Command, ctx: CliContext): void {
  program
    .command('projects')
    .alias('list')
    .description('List projects on the server (`wharf list`, like `railway list`)')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const projects = await ctx.client().get<ProjectView[]>('/v1/projects');
      if (globals.json) return printJson(projects);
      console.log(table(['PROJECT', 'ENVIRONMENTS', 'SERVICES'], projects.map((p) => [p.name, p.environments.map((e) => e.name).join(', '), p.services.map((s) => s.name).join(', ')])));
    });
}
