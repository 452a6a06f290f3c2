import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson } from '../output/table.js';

export function registerSecrets(program: Command, ctx: CliContext): void {
  const secrets = program.command('secrets').description('Manage the encryption of secrets at rest');
  secrets
    .command('rotate-key')
    .description('Make a new key current and re-encrypt every stored variable and snapshot with it')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const result = await ctx.client().post<{ keyId: string; variables: number; deployments: number }>('/v1/admin/rotate-key');
      if (globals.json) return printJson(result);
      console.log(`New key ${result.keyId} is current; re-encrypted ${result.variables} variable(s) and ${result.deployments} deployment snapshot(s).`);
      console.log('Older keys stay in the key file so copies of old data still decrypt.');
    });
}
