import type { Command } from 'commander';
import type { EnvironmentView } from '../../core/api.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { confirm } from '../output/confirm.js';
import { ago, printJson, table } from '../output/table.js';

export function registerEnvironments(program: Command, ctx: CliContext): void {
  const env = program.command('environment').alias('env').description("List and manage the project's environments");
  const base = (globals: GlobalOptions) => `/v1/projects/${encodeURIComponent(ctx.project(globals).project)}/environments`;

  env
    .command('list', { isDefault: true })
    .description('List environments')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const list = await ctx.client().get<EnvironmentView[]>(base(globals));
      if (globals.json) return printJson(list);
      console.log(table(['ENVIRONMENT', 'PRODUCTION', 'CREATED'], list.map((e) => [e.name, e.production ? 'yes' : '', ago(e.createdAt)])));
    });

  env
    .command('create')
    .description('Create an environment; --from copies settings and non-secret variables (never secrets)')
    .argument('<name>')
    .option('--from <environment>', 'environment to duplicate')
    .action(async (name: string, opts: { from?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const created = await ctx.client().post<EnvironmentView>(base(globals), { name, ...(opts.from ? { from: opts.from } : {}) });
      if (globals.json) return printJson(created);
      console.log(`Created environment ${created.name}${opts.from ? ` from ${opts.from} (secrets not copied: set them with \`wharf variables -e ${created.name} --set KEY=VALUE --secret\`)` : ''}.`);
      console.log(`Deploy into it with \`wharf up -e ${created.name}\`.`);
    });

  env
    .command('rename')
    .description('Rename an environment')
    .argument('<old>')
    .argument('<new>')
    .action(async (from: string, to: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const renamed = await ctx.client().patch<EnvironmentView>(`${base(globals)}/${encodeURIComponent(from)}`, { name: to });
      if (globals.json) return printJson(renamed);
      console.log(`Renamed ${from} to ${renamed.name}. Linked folders using '${from}' need \`wharf link <project> -e ${renamed.name}\`.`);
    });

  env
    .command('delete')
    .description('Delete an environment: stops its services, deletes its deployments and variables')
    .argument('<name>')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (name: string, opts: { yes?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await confirm(`Delete environment ${name} and everything in it?`, opts.yes);
      const deleted = await ctx.client().delete<EnvironmentView>(`${base(globals)}/${encodeURIComponent(name)}?confirm=${encodeURIComponent(name)}`);
      if (globals.json) return printJson(deleted);
      console.log(`Deleted environment ${deleted.name}.`);
    });
}
