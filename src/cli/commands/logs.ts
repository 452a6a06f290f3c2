import type { Command } from 'commander';
import type { LogLineView } from '../../core/api.js';
import { servicePath, type CliContext, type GlobalOptions } from '../context.js';
import { formatLogLine } from '../output/log-lines.js';

interface LogsOptions {
  follow?: boolean;
  build?: boolean;
  deployment?: string;
  since?: string;
  lines?: string;
}

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description("A service's runtime logs (active deployment), or its build log with --build")
    .option('-f, --follow', 'keep streaming new lines (follows redeploys)')
    .option('-b, --build', 'the build and deploy log instead of runtime output')
    .option('--deployment <id>', 'a deployment id or number instead of the active one')
    .option('--since <when>', 'only lines newer than a duration (30s, 10m, 2h, 1d) or a time')
    .option('-n, --lines <count>', 'only the last N lines')
    .action(async (opts: LogsOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const query = new URLSearchParams();
      if (opts.build) query.set('build', '1');
      if (opts.deployment) query.set('deployment', opts.deployment);
      if (opts.since) query.set('since', opts.since);
      if (opts.lines) query.set('lines', opts.lines);
      const print = (line: LogLineView) => console.log(globals.json ? JSON.stringify(line) : formatLogLine(line));
      const path = servicePath(ctx.target(globals), '/logs');
      const client = ctx.client();
      if (!opts.follow) {
        const { lines } = await client.get<{ lines: LogLineView[] }>(`${path}?${query}`);
        lines.forEach(print);
        return;
      }
      query.set('follow', '1');
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      for await (const event of client.events(`${path}?${query}`, abort.signal)) {
        if (event.event === 'log') print(JSON.parse(event.data) as LogLineView);
      }
    });
}
