import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogLineView } from '../../core/api.js';
import { WharfError } from '../../core/errors.js';
import { servicePath, type CliContext, type GlobalOptions } from '../context.js';
import { formatLogLine } from '../output/log-lines.js';

interface LogsOptions {
  follow?: boolean;
  tail?: boolean;
  build?: boolean;
  deployment?: string;
  since?: string;
  until?: string;
  lines?: string;
  filter?: string;
}

/** How often `-f` reconnects after losing the server before it gives up (about a minute). */
const RECONNECT_ATTEMPTS = 30;

/** A line for a terminal: what formatLogLine prints, with the level and JSON fields if known. */
function formatIndexed(line: LogLineView): string {
  const level = line.level && line.level !== 'info' ? `${line.level.toUpperCase()} ` : '';
  const fields = line.fields ? Object.entries(line.fields).map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('') : '';
  return formatLogLine({ ...line, m: `${level}${line.m}${fields}` });
}

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description("A service's runtime logs (active deployment), or its build log with --build; --filter searches them")
    .option('-f, --follow', 'keep streaming new lines (follows redeploys; reconnects after a lost connection without gaps)')
    .option('--tail', 'the same as --follow (`railway logs --tail`)')
    .option('-b, --build', 'the build and deploy log instead of runtime output')
    .option('--deployment <id>', 'a deployment id or number instead of the active one')
    .option('--since <when>', 'only lines newer than a duration (30s, 10m, 2h, 1d) or a time')
    .option('--until <when>', 'only lines older than a duration (30s, 10m, 2h, 1d) or a time')
    .option('-n, --lines <count>', 'only the last N lines')
    .option('--filter <query>', 'search: words, "a phrase", level:error, @field:value, -exclude, AND/OR (see docs/logs.md)')
    .action(async (opts: LogsOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const query = new URLSearchParams();
      if (opts.build) query.set('build', '1');
      if (opts.deployment) query.set('deployment', opts.deployment);
      if (opts.since) query.set('since', opts.since);
      if (opts.until) query.set('until', opts.until);
      if (opts.lines) query.set('lines', opts.lines);
      if (opts.filter !== undefined) query.set('filter', opts.filter);
      const print = (line: LogLineView) => console.log(globals.json ? JSON.stringify(line) : line.id !== undefined ? formatIndexed(line) : formatLogLine(line));
      const path = servicePath(ctx.target(globals), '/logs');
      const client = ctx.client();
      if (!opts.follow && !opts.tail) {
        const { lines } = await client.get<{ lines: LogLineView[] }>(`${path}?${query}`);
        lines.forEach(print);
        return;
      }
      query.set('follow', '1');
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      // Lines from the index carry ids: after a lost connection (a restarted server, a network
      // blip) the stream is asked again from the last id seen, so nothing is missed or repeated.
      let lastId: number | undefined;
      let failures = 0;
      let plain = false;
      for (;;) {
        if (lastId !== undefined) query.set('after', String(lastId));
        let error: unknown = null;
        try {
          for await (const event of client.events(`${path}?${query}`, abort.signal)) {
            if (event.event !== 'log') continue;
            const line = JSON.parse(event.data) as LogLineView;
            if (line.id !== undefined) {
              if (lastId !== undefined && line.id <= lastId) continue;
              lastId = line.id;
            } else plain = true;
            failures = 0;
            print(line);
          }
        } catch (caught) {
          error = caught;
        }
        if (abort.signal.aborted) return;
        // The server answered with an error (bad filter, unknown service): no point retrying.
        if (error instanceof WharfError && error.code !== 'SERVER_UNREACHABLE' && error.code !== 'INTERNAL') throw error;
        // Lines without ids (a build log read from files) cannot be resumed without repeats.
        if (plain && lastId === undefined) {
          if (error) throw error;
          return;
        }
        if (++failures > RECONNECT_ATTEMPTS) {
          if (error) throw error;
          return;
        }
        console.error(`connection lost${error ? ` (${(error as Error).message})` : ''}; reconnecting…`);
        await sleep(Math.min(2_000, 250 * failures));
      }
    });
}
