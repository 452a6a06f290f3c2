import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { WharfError } from '../../core/errors.js';
import { servicePath, type CliContext, type GlobalOptions } from '../context.js';

/**
 * `wharf run -- CMD …`: runs a local command with the service's resolved variables, like
 * `railway run`. The command is an argv array, never a shell string; its exit code is ours.
 */
export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description("Run a local command with the service's variables (references resolved), e.g. wharf run -- npm run migrate")
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .action(async (argv: string[], _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const { values } = await ctx.client().get<{ values: Record<string, string> }>(servicePath(ctx.target(globals), '/variables/resolved'));
      const [file, ...args] = argv;
      if (!file) throw new WharfError('BAD_REQUEST', 'no command given', { hint: 'e.g. `wharf run -- node scripts/migrate.js`' });
      const child = spawn(file, args, { stdio: 'inherit', env: { ...process.env, ...values, WHARF_RUN: 'true' } });
      const code = await new Promise<number>((resolve, reject) => {
        child.on('error', (error: NodeJS.ErrnoException) =>
          reject(new WharfError('BAD_REQUEST', `cannot run ${file}: ${error.code ?? error.message}`, { hint: 'Check that the command exists on this machine.' })),
        );
        child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 + 1 : 1)));
      });
      process.exitCode = code;
    });
}
