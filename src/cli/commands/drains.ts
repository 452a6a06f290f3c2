import type { Command } from 'commander';
import { checkHeaders, parseDrainTarget, parseHeaderFlag, type DrainTestView, type DrainView } from '../../core/drains.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { ago, printJson, table } from '../output/table.js';

interface AddOptions {
  header?: string[];
  token?: string;
  facility?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

const scope = (d: DrainView) => `${d.service ?? 'all services'} / ${d.environment ?? 'all environments'}`;

function statusText(d: DrainView): string {
  const s = d.status;
  const dropped = s.linesDropped > 0 ? `, ${s.linesDropped} dropped` : '';
  if (s.state === 'failing') return `FAILING since ${s.failingSince ? ago(s.failingSince) : '?'}: ${s.lastError ?? 'unknown error'}${dropped}`;
  if (s.state === 'new') return `nothing sent yet${dropped}`;
  return `ok, ${s.linesSent} sent${dropped}, last ${s.lastSuccessAt ? ago(s.lastSuccessAt) : '?'}`;
}

export function registerDrains(program: Command, ctx: CliContext): void {
  const drains = program.command('drains').description("Forward a project's logs to an HTTPS endpoint (JSON lines) or a syslog server (RFC 5424)");
  const base = (globals: GlobalOptions) => `/v1/projects/${encodeURIComponent(ctx.project(globals).project)}/drains`;

  drains
    .command('add')
    .description('Add a drain: https://… gets batches of JSON lines; syslog+tls://host:port, syslog+tcp://… or syslog+udp://… get RFC 5424 messages. --environment and --service limit it')
    .argument('<url>', 'https://…, http://…, syslog+tls://host:port, syslog+tcp://host:port or syslog+udp://host:port')
    .option('--header <header>', "HTTP drains: a header to send, 'Name: value' (repeat for more); stored encrypted", collect)
    .option('--token <token>', 'syslog drains: a token sent in the structured data of every message; stored encrypted')
    .option('--facility <facility>', 'syslog drains: user (default), daemon or local0 … local7')
    .action(async (url: string, opts: AddOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const headers = checkHeaders(Object.fromEntries((opts.header ?? []).map(parseHeaderFlag)));
      // The CLI checks what it can; the server checks again.
      parseDrainTarget({ url, headers, token: opts.token, facility: opts.facility });
      const body = {
        url,
        ...(globals.environment ? { environment: globals.environment } : {}),
        ...(globals.service ? { service: globals.service } : {}),
        ...(Object.keys(headers).length > 0 ? { headers } : {}),
        ...(opts.token !== undefined ? { token: opts.token } : {}),
        ...(opts.facility !== undefined ? { facility: opts.facility } : {}),
      };
      const drain = await ctx.client().post<DrainView>(base(globals), body);
      if (globals.json) return printJson(drain);
      console.log(`Added log drain ${drain.id}: ${scope(drain)} → ${drain.url}`);
      console.log(`Lines from now on are forwarded. Send a test line: wharf drains test ${drain.id}`);
    });

  drains
    .command('list', { isDefault: true })
    .description('Log drains and how delivery is going')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const list = await ctx.client().get<DrainView[]>(base(globals));
      if (globals.json) return printJson(list);
      if (list.length === 0) return console.log('No log drains. Add one: `wharf drains add https://… --header "Authorization: Bearer …"` or `wharf drains add syslog+tls://host:port`.');
      console.log(table(['ID', 'URL', 'SCOPE', 'STATUS'], list.map((d) => [d.id, d.url, scope(d), statusText(d)])));
    });

  drains
    .command('delete')
    .alias('rm')
    .description('Delete a log drain')
    .argument('<id>')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = await ctx.client().delete<{ deleted: string }>(`${base(globals)}/${encodeURIComponent(id)}`);
      if (globals.json) return printJson(out);
      console.log(`Deleted log drain ${out.deleted}`);
    });

  drains
    .command('test')
    .description('Send one test line through the drain now; exits 1 if it did not arrive')
    .argument('<id>')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const result = await ctx.client().post<DrainTestView>(`${base(globals)}/${encodeURIComponent(id)}/test`);
      if (globals.json) printJson(result);
      else if (result.ok) console.log(`Sent${result.statusCode !== null ? ` (${result.statusCode})` : ''} in ${result.durationMs} ms`);
      else console.log(`Not sent: ${result.error ?? 'unknown error'}`);
      if (!result.ok) process.exitCode = 1;
    });
}
