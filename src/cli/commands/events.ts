import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson, table } from '../output/table.js';

interface EventView {
  id: number;
  kind: string;
  severity: string;
  message: string;
  at: string;
}

export function registerEvents(program: Command, ctx: CliContext): void {
  program
    .command('events')
    .description("The project's events: deployments succeeded/failed/rolled back, crashes, cron runs failed/missed …")
    .option('-f, --follow', 'keep streaming new events')
    .option('--kind <prefix>', 'only events whose kind starts with this, e.g. deployment. or cron.')
    .option('-n, --lines <count>', 'how many of the latest events', '50')
    .action(async (opts: { follow?: boolean; kind?: string; lines: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const query = new URLSearchParams({ limit: opts.lines, ...(opts.kind ? { kind: opts.kind } : {}) });
      const path = `/v1/projects/${encodeURIComponent(ctx.project(globals).project)}/events`;
      const client = ctx.client();
      const print = (e: EventView) => console.log(globals.json ? JSON.stringify(e) : `${e.at.slice(0, 19).replace('T', ' ')}  ${e.severity.padEnd(7)}  ${e.kind.padEnd(24)}  ${e.message}`);
      if (!opts.follow) {
        const list = await client.get<EventView[]>(`${path}?${query}`);
        if (globals.json) return printJson(list);
        if (list.length === 0) return console.log('No events yet.');
        return console.log(table(['TIME', 'SEVERITY', 'KIND', 'MESSAGE'], list.map((e) => [e.at.slice(0, 19).replace('T', ' '), e.severity, e.kind, e.message])));
      }
      query.set('follow', '1');
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      for await (const event of client.events(`${path}?${query}`, abort.signal)) {
        if (event.event === 'event') print(JSON.parse(event.data) as EventView);
      }
    });
}
