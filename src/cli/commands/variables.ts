import type { Command } from 'commander';
import { WharfError } from '../../core/errors.js';
import { servicePath, type CliContext, type GlobalOptions } from '../context.js';
import { printJson, table } from '../output/table.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerVariables(program: Command, ctx: CliContext): void {
  program
    .command('variables')
    .description("Show or set a service's variables in this environment (used by the next deployment)")
    .option('--set <KEY=VALUE>', 'set a variable (repeatable)', collect, [])
    .action(async (opts: { set: string[] }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const target = ctx.target(globals);
      const client = ctx.client();
      let values: Record<string, string>;
      if (opts.set.length > 0) {
        const patch: Record<string, string> = {};
        for (const pair of opts.set) {
          const eq = pair.indexOf('=');
          if (eq <= 0) throw new WharfError('BAD_REQUEST', `'${pair}' is not KEY=VALUE`, { hint: 'e.g. --set GREETING=hello' });
          patch[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
        values = await client.patch<Record<string, string>>(servicePath(target, '/variables'), { values: patch });
      } else {
        values = await client.get<Record<string, string>>(servicePath(target, '/variables'));
      }
      if (globals.json) return printJson(values);
      console.log(table(['NAME', 'VALUE'], Object.entries(values)));
      if (opts.set.length > 0) console.log('\nSaved. The next deployment uses them: `wharf redeploy`.');
    });
}
