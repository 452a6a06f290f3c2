import { Command, Option } from 'commander';
import { WharfError } from '../../core/errors.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { ago, printJson, table } from '../output/table.js';

interface RuleView {
  id: string;
  name: string;
  environment: string | null;
  service: string | null;
  condition: { type: 'event' | 'metric' | 'backup_age' | 'certificate' };
  description: string;
  channel: { type: string; target: string };
  enabled: boolean;
  createdAt: string;
  states: Array<{ service: string; environment: string; state: 'ok' | 'pending' | 'firing'; since: string | null; lastValue: number | null }>;
  targets: Array<{ target: string; state: 'ok' | 'firing'; since: string | null; daysLeft: number | null; detail: string | null; checkedAt: string }>;
  generatedSecret?: string;
}

interface DeliveryView {
  id: number;
  ruleId: string;
  notificationId: string;
  kind: string;
  channelType: string;
  target: string;
  attempt: number;
  status: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  at: string;
}

interface CreateOptions {
  event?: string;
  metric?: string;
  threshold?: string;
  for?: string;
  window?: string;
  backupAge?: string;
  database?: string;
  certificate?: string[];
  days?: string;
  name?: string;
  webhook?: string;
  secret?: string;
  slack?: string;
  discord?: string;
  email?: string[];
  smtp?: string;
  from?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

function channelOf(opts: CreateOptions): Record<string, unknown> {
  const given = [opts.webhook && 'webhook', opts.slack && 'slack', opts.discord && 'discord', opts.email?.length && 'email'].filter(Boolean);
  if (given.length !== 1) {
    throw new WharfError('BAD_REQUEST', given.length === 0 ? 'say where to send the alert' : `give one channel per rule, not ${given.join(' and ')}`, {
      hint: 'Use one of --webhook URL [--secret S], --slack URL, --discord URL, or --email TO --smtp smtp://user:pass@host:port [--from ADDR].',
    });
  }
  if (opts.webhook) return { type: 'webhook', url: opts.webhook, ...(opts.secret ? { secret: opts.secret } : {}) };
  if (opts.slack) return { type: 'slack', url: opts.slack };
  if (opts.discord) return { type: 'discord', url: opts.discord };
  if (!opts.smtp) throw new WharfError('BAD_REQUEST', '--email needs --smtp smtp://user:password@host:port (or smtps://… for TLS on 465)');
  return { type: 'email', to: opts.email, smtp: opts.smtp, ...(opts.from ? { from: opts.from } : {}) };
}

const scope = (r: RuleView) =>
  r.condition.type === 'certificate' ? 'the project' : r.condition.type === 'backup_age' ? `${r.service ?? 'all databases'} / ${r.environment ?? 'all environments'}` : `${r.service ?? 'all services'} / ${r.environment ?? 'all environments'}`;
const stateText = (r: RuleView) => {
  if (r.condition.type === 'certificate') {
    if (r.targets.length === 0) return 'not checked yet';
    const firing = r.targets.filter((t) => t.state === 'firing');
    if (firing.length > 0) return `FIRING: ${firing.map((t) => `${t.target} ${t.detail ?? ''}`.trim()).join(', ')}`;
    return `ok: ${r.targets.map((t) => `${t.target} ${t.detail ?? ''}`.trim()).join(', ')}`;
  }
  if (r.states.length === 0) return r.condition.type === 'event' ? '' : 'no data yet';
  const firing = r.states.filter((s) => s.state === 'firing');
  if (firing.length > 0) return `FIRING: ${firing.map((s) => `${s.service} (${s.environment}) since ${s.since ? ago(s.since) : '?'}`).join(', ')}`;
  const pending = r.states.filter((s) => s.state === 'pending');
  if (pending.length > 0) return `pending: ${pending.map((s) => `${s.service} (${s.environment})`).join(', ')}`;
  return 'ok';
};

export function registerAlerts(program: Command, ctx: CliContext): void {
  const alerts = program.command('alerts').description('Alert rules on events and metrics, sent to webhooks, Slack, Discord or email');
  const base = (globals: GlobalOptions) => `/v1/projects/${encodeURIComponent(ctx.project(globals).project)}/alerts`;

  alerts
    .command('create')
    .description('Create a rule: --event KIND, --metric NAME --threshold N [--for 5m], --backup-age 26h [--database DB] or --certificate HOST[:PORT] [--days 14], and one channel')
    .addOption(new Option('--event <kinds>', 'event kinds or prefixes, comma-separated: deployment.failed, service.crashed, cron., *').conflicts('metric'))
    .addOption(new Option('--metric <name>', 'cpu (%), memory (MB), error_rate, latency_p95 (ms), restarts, rps …'))
    .option('--threshold <n>', 'fire when the average is over this')
    .option('--for <duration>', 'only after it stayed over for this long, e.g. 5m (default: at once)')
    .option('--window <duration>', 'average each value over this window (default 1m)')
    .option('--backup-age <duration>', 'fire when the newest successful backup of a database is older than this (e.g. 26h), or there is none')
    .option('--database <name>', 'for --backup-age: only this database (default: every database of the project)')
    .option('--certificate <host[:port]>', "fire when this endpoint's TLS certificate expires soon or cannot be read (repeat or comma-separate; port 443 by default)", collect)
    .option('--days <n>', 'for --certificate: fire when fewer days than this remain (default 14)')
    .option('--name <name>', 'a name for the rule')
    .option('--webhook <url>', 'POST signed JSON to this URL')
    .option('--secret <secret>', 'HMAC-SHA256 signing secret for --webhook (default: generated and shown once)')
    .option('--slack <url>', 'a Slack (or compatible) incoming webhook URL')
    .option('--discord <url>', 'a Discord (or compatible) webhook URL')
    .option('--email <to>', 'email recipients (repeat or comma-separate)', collect)
    .option('--smtp <url>', 'SMTP server for --email: smtp://user:pass@host:587 or smtps://user:pass@host:465')
    .option('--from <address>', 'sender address for --email')
    .action(async (opts: CreateOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const kinds = [opts.event && '--event', opts.metric && '--metric', opts.backupAge && '--backup-age', opts.certificate?.length && '--certificate'].filter(Boolean);
      if (kinds.length === 0) {
        throw new WharfError('BAD_REQUEST', 'say what to alert on: --event KIND, --metric NAME --threshold N, --backup-age DURATION or --certificate HOST[:PORT]', {
          hint: 'e.g. `wharf alerts create --metric cpu --threshold 80 --for 5m --webhook URL`, `--event deployment.failed --slack URL` or `--backup-age 26h --database db --webhook URL`.',
        });
      }
      if (kinds.length > 1) throw new WharfError('BAD_REQUEST', `one condition per rule, not ${kinds.join(' and ')}`, { hint: 'Create one rule for each.' });
      if (opts.database && !opts.backupAge) throw new WharfError('BAD_REQUEST', '--database goes with --backup-age', { hint: 'Use --service for event and metric rules.' });
      let days: number | undefined;
      if (opts.days !== undefined) {
        days = Number(opts.days);
        if (!opts.certificate?.length) throw new WharfError('BAD_REQUEST', '--days goes with --certificate', { hint: 'e.g. `wharf alerts create --certificate api.example.com --days 14 --webhook URL`.' });
        if (!Number.isInteger(days) || days < 1 || days > 3650) throw new WharfError('BAD_REQUEST', `--days must be a whole number of days from 1 to 3650, not '${opts.days}'`);
      }
      let threshold: number | undefined;
      if (opts.metric) {
        threshold = Number(opts.threshold);
        if (opts.threshold === undefined || !Number.isFinite(threshold)) throw new WharfError('BAD_REQUEST', '--metric needs --threshold N (a number)');
      }
      const body = {
        ...(opts.name ? { name: opts.name } : {}),
        ...(globals.environment ? { environment: globals.environment } : {}),
        ...(globals.service ? { service: globals.service } : {}),
        ...(opts.event
          ? { event: opts.event }
          : opts.backupAge
            ? { backupAge: opts.backupAge, ...(opts.database ? { database: opts.database } : {}) }
            : opts.certificate?.length
              ? { certificate: opts.certificate, ...(days !== undefined ? { days } : {}) }
              : { metric: opts.metric, threshold, ...(opts.for ? { for: opts.for } : {}), ...(opts.window ? { window: opts.window } : {}) }),
        channel: channelOf(opts),
      };
      const rule = await ctx.client().post<RuleView>(base(globals), body);
      if (globals.json) return printJson(rule);
      console.log(`Created alert ${rule.id}: ${rule.description} (${scope(rule)}) → ${rule.channel.target}`);
      if (rule.generatedSecret) {
        console.log(`Signing secret (shown once; verify X-Wharf-Signature with it): ${rule.generatedSecret}`);
      }
      console.log(`Send a test notification: wharf alerts test ${rule.id}`);
    });

  alerts
    .command('list', { isDefault: true })
    .description('Alert rules, with the state of metric, backup-age and certificate rules')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const rules = await ctx.client().get<RuleView[]>(base(globals));
      if (globals.json) return printJson(rules);
      if (rules.length === 0) return console.log('No alert rules. Create one: `wharf alerts create --event deployment.failed --webhook URL`.');
      console.log(table(['ID', 'WHEN', 'SCOPE', 'CHANNEL', 'STATE'], rules.map((r) => [r.id, r.description, scope(r), r.channel.target, stateText(r)])));
    });

  alerts
    .command('delete')
    .alias('rm')
    .description('Delete an alert rule')
    .argument('<id>')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const out = await ctx.client().delete<{ deleted: string }>(`${base(globals)}/${encodeURIComponent(id)}`);
      if (globals.json) return printJson(out);
      console.log(`Deleted alert ${out.deleted}`);
    });

  alerts
    .command('test')
    .description("Send a test notification through the rule's channel now; exits 1 if it was not delivered")
    .argument('<id>')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const result = await ctx.client().post<{ ok: boolean; statusCode: number | null; durationMs: number; error: string | null }>(`${base(globals)}/${encodeURIComponent(id)}/test`);
      if (globals.json) printJson(result);
      else if (result.ok) console.log(`Delivered${result.statusCode !== null ? ` (${result.statusCode})` : ''} in ${result.durationMs} ms`);
      else console.log(`Not delivered: ${result.error ?? 'unknown error'}`);
      if (!result.ok) process.exitCode = 1;
    });

  alerts
    .command('deliveries')
    .description('The delivery log: every attempt with its status code, duration and error')
    .argument('[id]', 'only this rule')
    .option('-n, --lines <count>', 'how many of the latest attempts', '50')
    .action(async (id: string | undefined, opts: { lines: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const query = new URLSearchParams({ limit: opts.lines, ...(id ? { rule: id } : {}) });
      const list = await ctx.client().get<DeliveryView[]>(`${base(globals)}/deliveries?${query}`);
      if (globals.json) return printJson(list);
      if (list.length === 0) return console.log('No deliveries yet.');
      console.log(table(
        ['TIME', 'RULE', 'KIND', 'ATTEMPT', 'STATUS', 'CODE', 'MS', 'ERROR'],
        list.map((d) => [d.at.slice(0, 19).replace('T', ' '), d.ruleId, d.kind, String(d.attempt), d.status, d.statusCode === null ? '' : String(d.statusCode), String(d.durationMs), d.error ?? '']),
      ));
    });
}
