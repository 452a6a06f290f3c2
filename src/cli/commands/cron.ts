import type { Command } from 'commander';
import { parseSchedule } from '../../shared/cron-schedule.js';
import { servicePath, type CliContext, type GlobalOptions } from '../context.js';
import { formatLogLine } from '../output/log-lines.js';
import { ago, printJson, table } from '../output/table.js';
import { environmentPath } from './plan-apply.js';

interface RunView {
  id: string;
  scheduledAt: string;
  reason: string;
  status: string;
  startedAt: string | null;
  durationMs: number | null;
  exitCode: number | null;
  detail: string | null;
}

interface JobView {
  service: string;
  schedule: string | null;
  explanation: string | null;
  nextRuns: string[];
  concurrencyPolicy: string;
  deployed: boolean;
  lastRun: RunView | null;
}

const seconds = (ms: number | null) => (ms === null ? '' : `${(ms / 1000).toFixed(1)} s`);

export function registerCron(program: Command, ctx: CliContext): void {
  const cron = program.command('cron').description('Cron services: schedules, runs now, history, and run logs');

  cron
    .command('list', { isDefault: true })
    .description('Cron services with their schedule explained and the next runs (UTC)')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const jobs = await ctx.client().get<JobView[]>(`${environmentPath(ctx, globals)}/cron`);
      if (globals.json) return printJson(jobs);
      if (jobs.length === 0) return console.log('No cron services. Give a service a schedule: `wharf settings -s NAME --set cronSchedule="0 2 * * *"`.');
      for (const job of jobs) {
        console.log(`${job.service}  ${job.schedule}  — ${job.explanation}  (${job.concurrencyPolicy}${job.deployed ? '' : ', not deployed yet'})`);
        console.log(`  next: ${job.nextRuns.map((t) => t.slice(0, 16).replace('T', ' ')).join(', ')} UTC`);
        if (job.lastRun) console.log(`  last: ${job.lastRun.status} ${ago(job.lastRun.scheduledAt)}${job.lastRun.exitCode !== null ? ` (exit ${job.lastRun.exitCode})` : ''}`);
      }
    });

  cron
    .command('explain')
    .description('Explain a cron expression and show its next runs (offline)')
    .argument('<expression>')
    .action((expression: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const described = parseSchedule(expression).describe(5, new Date());
      if (globals.json) return printJson(described);
      console.log(`${described.expression}: ${described.explanation}`);
      for (const t of described.nextRuns) console.log(`  ${t.slice(0, 16).replace('T', ' ')} UTC`);
    });

  cron
    .command('run')
    .description('Run a cron service now and wait for it; exits with its exit code')
    .argument('[service]')
    .option('-d, --detach', 'return once the run has started')
    .action(async (service: string | undefined, opts: { detach?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const target = ctx.target({ ...globals, ...(service ? { service } : {}) });
      const client = ctx.client();
      const run = await client.post<RunView>(servicePath(target, '/cron/runs'));
      if (opts.detach) return globals.json ? printJson(run) : console.log(`Started run ${run.id}`);
      if (!globals.json) console.log(`Started run ${run.id} of ${target.service}`);
      let current = run;
      // Bounded by the run's own timeout on the server; poll gently.
      while (current.status === 'RUNNING') {
        await new Promise((r) => setTimeout(r, 300));
        current = await client.get<RunView>(servicePath(target, `/cron/runs/${run.id}`));
      }
      const detail = await client.get<RunView & { lines: Array<{ t: string; s: 'out' | 'err' | 'sys'; m: string }> }>(servicePath(target, `/cron/runs/${run.id}`));
      if (globals.json) printJson(detail);
      else {
        for (const line of detail.lines) console.log(formatLogLine(line));
        console.log(`Run ${run.id}: ${detail.status}${detail.exitCode !== null ? ` (exit ${detail.exitCode})` : ''} in ${seconds(detail.durationMs)}`);
      }
      process.exitCode = detail.status === 'SUCCEEDED' ? 0 : (detail.exitCode ?? 1) || 1;
    });

  cron
    .command('history')
    .description("A cron service's runs, skips and misses, newest first")
    .argument('[service]')
    .option('-n, --lines <count>', 'how many', '20')
    .action(async (service: string | undefined, opts: { lines: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const target = ctx.target({ ...globals, ...(service ? { service } : {}) });
      const runs = await ctx.client().get<RunView[]>(servicePath(target, `/cron/runs?limit=${encodeURIComponent(opts.lines)}`));
      if (globals.json) return printJson(runs);
      if (runs.length === 0) return console.log('No runs yet.');
      console.log(table(['RUN', 'SCHEDULED (UTC)', 'REASON', 'STATUS', 'EXIT', 'DURATION', 'DETAIL'], runs.map((r) => [r.id, r.scheduledAt.slice(0, 19).replace('T', ' '), r.reason, r.status, r.exitCode === null ? '' : String(r.exitCode), seconds(r.durationMs), r.detail ?? ''])));
    });

  cron
    .command('logs')
    .description('The log lines of one run (default: the latest)')
    .argument('[service]')
    .argument('[run]', 'run id', 'latest')
    .action(async (service: string | undefined, run: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const target = ctx.target({ ...globals, ...(service ? { service } : {}) });
      const detail = await ctx.client().get<RunView & { lines: Array<{ t: string; s: 'out' | 'err' | 'sys'; m: string }> }>(servicePath(target, `/cron/runs/${encodeURIComponent(run)}`));
      if (globals.json) return printJson(detail);
      for (const line of detail.lines) console.log(formatLogLine(line));
    });
}
