import type { Command } from 'commander';
import type { DeploymentView } from '../../core/api.js';
import { servicePath, type CliContext, type GlobalOptions } from '../context.js';
import { ago, printJson, table } from '../output/table.js';

export function registerDeployments(program: Command, ctx: CliContext): void {
  program
    .command('deployments')
    .alias('deployment')
    .description("A service's deployments, newest first (`deployments list`, like `railway deployment list`)")
    .command('list', { isDefault: true })
    .alias('ls')
    .description("A service's deployments, newest first")
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const target = ctx.target(globals);
      const list = await ctx.client().get<DeploymentView[]>(servicePath(target, '/deployments'));
      if (globals.json) return printJson(list);
      if (list.length === 0) return console.log('No deployments yet. Run `wharf up`.');
      const rows = list.map((d) => [
        `#${d.number}`,
        d.id,
        d.status,
        d.trigger + (d.rollbackOf ? ` of ${d.rollbackOf}` : ''),
        ago(d.createdAt),
        d.canRollback ? 'yes' : 'no',
        (d.reason ?? '').split('\n')[0]!,
      ]);
      console.log(table(['#', 'ID', 'STATUS', 'TRIGGER', 'CREATED', 'ROLLBACK', 'REASON'], rows));
    });
}
