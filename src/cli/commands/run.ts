import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { WharfError } from '../../core/errors.js';
import type { ApiClient } from '../client.js';
import { requireTerminal, runInteractive } from '../interactive.js';
import { servicePath, type CliContext, type GlobalOptions, type Target } from '../context.js';

/**
 * `wharf run -- CMD …`: a local command with the service's resolved variables (`railway run`).
 * `wharf run --remote -- CMD …` / `wharf exec -- CMD …`: the command runs on the server, in the
 * service's live build (`heroku run`). Either way the command is an argv array, never a shell
 * string, and its exit code is ours. With -it the remote command gets a real pseudo-terminal
 * (`heroku run bash`): see ../interactive.ts.
 */
async function runLocal(client: ApiClient, target: Target, argv: string[]): Promise<number> {
  const { values } = await client.get<{ values: Record<string, string> }>(servicePath(target, '/variables/resolved'));
  const [file, ...args] = argv;
  const child = spawn(file!, args, { stdio: 'inherit', env: { ...process.env, ...values, WHARF_RUN: 'true' } });
  return new Promise<number>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(new WharfError('BAD_REQUEST', `cannot run ${file}: ${error.code ?? error.message}`, { hint: 'Check that the command exists on this machine.' })),
    );
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 129 : 1)));
  });
}

interface RemoteExit {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  error?: string;
}

async function runRemote(client: ApiClient, target: Target, argv: string[]): Promise<number> {
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  let exit = null as RemoteExit | null;
  for await (const event of client.events(servicePath(target, '/run'), abort.signal, { command: argv })) {
    if (event.event === 'line') {
      const line = JSON.parse(event.data) as { s: string; m: string };
      (line.s === 'err' ? process.stderr : process.stdout).write(line.m + '\n');
    } else if (event.event === 'exit') {
      exit = JSON.parse(event.data) as RemoteExit;
    }
  }
  if (!exit) return abort.signal.aborted ? 130 : 1;
  if (exit.error) throw new WharfError('RUNTIME_ERROR', exit.error, { hint: `Is '${argv[0]}' in the service's build or on the server's PATH?` });
  if (exit.timedOut) console.error('wharf: the command timed out on the server');
  return exit.exitCode ?? (exit.signal ? 129 : 1);
}

function action(ctx: CliContext, forceRemote: boolean) {
  return async (argv: string[], opts: { remote?: boolean; interactive?: boolean; tty?: boolean }, cmd: Command) => {
    const globals = cmd.optsWithGlobals<GlobalOptions>();
    if (argv.length === 0) throw new WharfError('BAD_REQUEST', 'no command given', { hint: 'e.g. `wharf run node scripts/migrate.js`' });
    const remote = forceRemote || opts.remote === true;
    const interactive = opts.interactive === true || opts.tty === true;
    if (interactive) {
      if (!opts.interactive || !opts.tty) throw new WharfError('BAD_REQUEST', '-i and -t go together', { hint: 'Use -it for an interactive terminal on the server, or neither.' });
      if (!remote) throw new WharfError('BAD_REQUEST', '-it is for commands on the server', { hint: 'Add --remote (or use `wharf exec -it`); a local `wharf run` already runs in this terminal.' });
      requireTerminal();
    }
    const target = ctx.target(globals);
    const client = ctx.client();
    if (interactive) {
      process.exitCode = await runInteractive(ctx.connection(), servicePath(target), argv);
      return;
    }
    process.exitCode = remote ? await runRemote(client, target, argv) : await runLocal(client, target, argv);
  };
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description("Run a command with the service's variables: locally (like `railway run`), or with --remote on the server in its live build")
    .argument('<command...>', 'the command and its arguments (`--` before them is optional: options after the command are its own)')
    .option('-r, --remote', 'run on the server, in the live deployment’s build and environment (recorded in the audit trail)')
    .option('-i, --interactive', 'with -t and --remote: keep stdin attached (use -it)')
    .option('-t, --tty', 'with -i and --remote: a pseudo-terminal on the server, this terminal in raw mode (use -it)')
    .action(action(ctx, false));
  program
    .command('exec')
    .description('Run a command on the server in the service’s live build (same as `wharf run --remote`)')
    .argument('<command...>', 'the command and its arguments (`--` before them is optional: options after the command are its own)')
    .option('-i, --interactive', 'with -t: keep stdin attached (use -it)')
    .option('-t, --tty', 'with -i: a pseudo-terminal on the server, this terminal in raw mode (use -it), like `heroku run bash`')
    .action(action(ctx, true));
}
