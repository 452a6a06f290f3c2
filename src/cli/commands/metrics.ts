import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson, table } from '../output/table.js';
import { formatMetric, slots, sparkline } from '../../shared/sparkline.js';

interface MetricsView {
  since: number;
  until: number;
  services: Array<{ service: string; kind: string; instanceId: string; series: Array<{ name: string; points: Array<{ t: number; value: number }> }> }>;
}

const SPARK_WIDTH = 30;

export function registerMetrics(program: Command, ctx: CliContext): void {
  program
    .command('metrics')
    .description('CPU, memory, restarts, requests, status classes, latency and bytes per service (connections and size for a database), with sparklines (--service and --json are the global options)')
    .option('--since <when>', 'the window: a duration (30s, 10m, 2h, 1d) or a time', '1h')
    .option('--metrics <names>', 'comma-separated series, e.g. cpu_percent,memory_bytes,latency_p95_ms,db_connections,db_size_bytes')
    .action(async (opts: { since: string; metrics?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const { project, environment } = ctx.project(globals);
      const service = globals.service ?? process.env.WHARF_SERVICE;
      const query = new URLSearchParams({ since: opts.since });
      if (service) query.set('service', service);
      if (opts.metrics) query.set('metrics', opts.metrics);
      const view = await ctx
        .client()
        .get<MetricsView>(`/v1/projects/${encodeURIComponent(project)}/environments/${encodeURIComponent(environment)}/metrics?${query}`);
      if (globals.json) return printJson(view);
      if (view.services.length === 0) return console.log('No services yet.');
      const blocks = view.services.map((s) => {
        const rows = s.series.map((series) => {
          const values = series.points.map((p) => p.value);
          const last = series.points.at(-1)?.value ?? null;
          return [
            series.name,
            formatMetric(series.name, last),
            formatMetric(series.name, values.length ? Math.min(...values) : null),
            formatMetric(series.name, values.length ? Math.max(...values) : null),
            series.points.length === 0 ? '(no data)' : sparkline(slots(series.points, view.since, view.until, SPARK_WIDTH)),
          ];
        });
        return `${s.service} (${s.kind})\n${table(['METRIC', 'LAST', 'MIN', 'MAX', `SINCE ${opts.since.toUpperCase()}`], rows)}`;
      });
      console.log(blocks.join('\n\n'));
    });
}
