import type { Command } from 'commander';
import type { ServiceStatusView } from '../../core/api.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { ago, printJson, table } from '../output/table.js';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description("Services of the linked project's environment: URL, active deployment, replicas")
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const { project, environment } = ctx.project(globals);
      let services = await ctx.client().get<ServiceStatusView[]>(`/v1/projects/${encodeURIComponent(project)}/environments/${encodeURIComponent(environment)}/services`);
      if (globals.service) services = services.filter((s) => s.service === globals.service);
      if (globals.json) return printJson(services);
      console.log(`Project ${project} · environment ${environment}\n`);
      if (services.length === 0) return console.log('No services yet. Deploy this folder with `wharf up`.');
      const rows = services.map((s) => {
        const active = s.activeDeployment;
        const latest = s.latestDeployment;
        const live = s.replicas.filter((r) => r.routed && (r.state === 'running' || r.state === 'starting'));
        const restarts = s.replicas.reduce((n, r) => n + r.restarts, 0);
        return [
          s.service,
          active ? `${active.status} #${active.number}` : 'not deployed',
          latest && latest.id !== active?.id ? `#${latest.number} ${latest.status} ${ago(latest.createdAt)}` : '',
          s.kind === 'cron' ? 'cron' : `${live.length}/${active ? s.settings.numReplicas : 0}${restarts ? ` (${restarts} restarts)` : ''}`,
          active && s.kind !== 'worker' && s.kind !== 'cron' ? s.url : '',
        ];
      });
      console.log(table(['SERVICE', 'ACTIVE', 'LATEST', 'REPLICAS', 'URL'], rows));
    });
}
