import type { Command } from 'commander';
import type { ReplicaView, ServiceStatusView } from '../../core/api.js';
import { servesTraffic } from '../../core/runtime.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { ago, printJson, table } from '../output/table.js';

/** What `status` shows of a database: its server is run by the database manager, not by deployments. */
interface DatabaseState {
  service: string;
  engine: string;
  status: string;
  host: string;
  port: number;
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description("Services and databases of the linked project's environment: URL, active deployment, replicas, a database's state")
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const { project, environment } = ctx.project(globals);
      const base = `/v1/projects/${encodeURIComponent(project)}/environments/${encodeURIComponent(environment)}`;
      const client = ctx.client();
      const [all, databases] = await Promise.all([client.get<ServiceStatusView[]>(`${base}/services`), client.get<DatabaseState[]>(`${base}/databases`)]);
      const databaseOf = new Map(databases.map((d) => [d.service, d]));
      const services = all
        .filter((s) => !globals.service || s.service === globals.service)
        .map((s) => {
          const db = databaseOf.get(s.service);
          return db ? { ...s, database: { engine: db.engine, status: db.status, host: db.host, port: db.port } } : s;
        });
      if (globals.json) return printJson(services);
      console.log(`Project ${project} · environment ${environment}\n`);
      if (services.length === 0) return console.log('No services yet. Deploy this folder with `wharf up`.');
      const rows = services.map((s) => {
        const db = databaseOf.get(s.service);
        if (db) return [s.service, `${db.status} ${db.engine}`, '', db.status === 'READY' ? '1/1' : '0/1', `${db.host}:${db.port}`];
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
