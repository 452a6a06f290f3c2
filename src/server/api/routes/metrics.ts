import type { Hono } from 'hono';
import { z } from 'zod';
import { WharfError } from '../../../core/errors.js';
import type { MetricName } from '../../../core/metrics.js';
import { parseSince } from '../../observe/log-query.js';
import { isMetricName, METRIC_NAMES } from '../../metrics/series.js';
import type { ApiDeps } from '../deps.js';
import { resolveEnvironment } from '../resolve.js';

const METRICS = '/v1/projects/:project/environments/:environment/metrics';

/** Shown when `metrics` is not given: everything but the database series … */
const DEFAULT_METRICS = METRIC_NAMES.filter((m) => !m.startsWith('db_'));
/** … and for a database: its server process and what the engine tells (no requests go through the router). */
const DATABASE_METRICS: readonly MetricName[] = ['cpu_percent', 'memory_bytes', 'restarts', 'db_connections', 'db_size_bytes'];

const metricsQuery = z.object({
  service: z.string().min(1).max(63).optional(),
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  metrics: z
    .string()
    .max(400)
    .optional()
    .refine((v) => v === undefined || v.split(',').every((m) => m === '' || isMetricName(m.trim())), {
      message: `metrics must be a comma-separated list of: ${METRIC_NAMES.join(', ')}`,
    }),
});

const metricsView = z.object({
  since: z.number(),
  until: z.number(),
  services: z.array(
    z.object({
      service: z.string(),
      kind: z.string(),
      instanceId: z.string(),
      series: z.array(z.object({ name: z.string(), points: z.array(z.object({ t: z.number(), value: z.number() })) })),
    }),
  ),
});

export function metricsRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry } = deps;
  registry.add({
    method: 'get',
    path: METRICS,
    summary: "Metric series of an environment's services (CPU, memory, restarts, requests, status classes, latency, bytes; a database's connections and size) over a window, at the finest resolution kept for its age",
    query: metricsQuery,
    response: metricsView,
  });
  app.get(METRICS, (c) => {
    const { project, environment } = resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!);
    const query = metricsQuery.safeParse(c.req.query());
    if (!query.success) throw new WharfError('BAD_REQUEST', query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const reader = deps.metrics;
    if (!reader) throw new WharfError('BAD_REQUEST', 'metrics are not collected by this server', { hint: 'The control plane was started without a metrics collector.' });
    const now = Date.now();
    const since = parseSince(query.data.since ?? '1h', now)!;
    const until = parseSince(query.data.until, now) ?? now;
    const asked: MetricName[] | null = query.data.metrics ? [...new Set(query.data.metrics.split(',').map((m) => m.trim()).filter(isMetricName))] : null;
    let services = store.projects.listServices(project.id);
    if (query.data.service) {
      services = services.filter((s) => s.name === query.data.service);
      if (services.length === 0) throw new WharfError('NOT_FOUND', `service '${query.data.service}' does not exist in project '${project.name}'`);
    }
    const out = services.flatMap((service) => {
      const instance = store.projects.findInstance(service.id, environment.id);
      if (!instance) return [];
      return [
        {
          service: service.name,
          kind: service.kind,
          instanceId: instance.id,
          series: (asked ?? (service.kind === 'database' ? DATABASE_METRICS : DEFAULT_METRICS)).map((name) => ({ name, points: reader.series(instance.id, name, since, until) })),
        },
      ];
    });
    return c.json({ since, until, services: out });
  });
}
