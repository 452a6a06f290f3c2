import type { Command } from 'commander';

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('Run the Wharf control plane here (same as `npm start`); it starts the router too')
    .action(async () => {
      // The server stops itself gracefully on Ctrl-C; the CLI's own exit-130 handler must not cut it short.
      process.removeAllListeners('SIGINT');
      await import('../../server/main.js');
    });
}
