import type { Command } from 'commander';
import type { ReplicaView, ServiceStatusView } from '../../core/api.js';
import { servesTraffic } from '../../core/runtime.js';
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
        const live = s.replicas.filter((r) => r.routed && servesTraffic(r));
        return [
          s.service,
          active ? `${active.status} #${active.number}` : 'not deployed',
          latest && latest.id !== active?.id ? `#${latest.number} ${latest.status} ${ago(latest.createdAt)}` : '',
          s.kind === 'cron' ? 'cron' : `${live.length}/${active ? s.settings.numReplicas : 0}${replicaNotes(s.replicas)}`,
          active && s.kind !== 'worker' && s.kind !== 'cron' ? s.url : '',
        ];
      });
      console.log(table(['SERVICE', 'ACTIVE', 'LATEST', 'REPLICAS', 'URL'], rows));
    });
}

/** What is wrong with the replicas that do not serve, and the restarts: ` (1 unhealthy, 3 restarts)`. */
function replicaNotes(replicas: readonly ReplicaView[]): string {
  const count = (what: string, test: (r: ReplicaView) => boolean) => {
    const n = replicas.filter(test).length;
    return n > 0 ? `${n} ${what}` : null;
  };
  const restarts = replicas.reduce((n, r) => n + r.restarts, 0);
  const notes = [
    count('unhealthy', (r) => r.unhealthySince !== null && r.state !== 'crashed' && r.state !== 'exited'),
    count('crashed', (r) => r.state === 'crashed'),
    count('exited', (r) => r.state === 'exited'),
    restarts > 0 ? `${restarts} restarts` : null,
  ].filter((n) => n !== null);
  return notes.length > 0 ? ` (${notes.join(', ')})` : '';
}
