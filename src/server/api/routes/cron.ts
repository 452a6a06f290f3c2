import type { Hono } from 'hono';
import { z } from 'zod';
import { WharfError } from '../../../core/errors.js';
import { readAllLines } from '../../observe/log-file.js';
import { cronJobOf } from '../../scheduler/cron-backend.js';
import { parseSchedule } from '../../../shared/cron-schedule.js';
import type { CronRun } from '../../store/cron-runs.js';
import type { ApiDeps } from '../deps.js';
import { resolveEnvironment, resolveInstance } from '../resolve.js';
import { SERVICE } from './services.js';

const ENVIRONMENT = '/v1/projects/:project/environments/:environment';

const runView = z.object({
  id: z.string(),
  scheduledAt: z.string(),
  reason: z.string(),
  status: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  exitCode: z.number().nullable(),
  detail: z.string().nullable(),
});
const view = ({ instanceId: _i, deploymentId: _d, logFile: _l, ...rest }: CronRun) => rest;

const cronJobView = z.object({
  service: z.string(),
  schedule: z.string().nullable(),
  explanation: z.string().nullable(),
  nextRuns: z.array(z.string()),
  concurrencyPolicy: z.string(),
  timeoutSeconds: z.number().nullable(),
  deployed: z.boolean(),
  lastRun: runView.nullable(),
});

export function cronRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry, scheduler } = deps;

  registry.add({ method: 'get', path: `${ENVIRONMENT}/cron`, summary: 'Cron services of an environment: schedule explained, next 5 runs (UTC), last run', response: z.array(cronJobView) });
  app.get(`${ENVIRONMENT}/cron`, (c) => {
    const { project, environment } = resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!);
    const jobs = store.projects
      .listServices(project.id)
      .filter((s) => s.kind === 'cron')
      .map((service) => {
        const instance = store.projects.findInstance(service.id, environment.id)!;
        const schedule = cronJobOf(store, instance)?.schedule ?? instance.settings.cronSchedule;
        const described = schedule ? parseSchedule(schedule).describe(5, new Date()) : null;
        const last = store.cronRuns.history(instance.id, 1)[0];
        return {
          service: service.name,
          schedule,
          explanation: described?.explanation ?? null,
          nextRuns: described?.nextRuns ?? [],
          concurrencyPolicy: instance.settings.cronConcurrencyPolicy,
          timeoutSeconds: instance.settings.cronTimeoutSeconds,
          deployed: instance.activeDeploymentId !== null,
          lastRun: last ? view(last) : null,
        };
      });
    return c.json(jobs);
  });

  registry.add({ method: 'post', path: `${SERVICE}/cron/runs`, summary: 'Run a cron service now (like `railway run` of a cron); refused under concurrencyPolicy forbid while a run is going', response: runView });
  app.post(`${SERVICE}/cron/runs`, async (c) => {
    const ctx = resolveInstance(store, c.req.param('project')!, c.req.param('environment')!, c.req.param('service')!);
    if (ctx.service.kind !== 'cron') {
      throw new WharfError('CONFLICT', `${ctx.service.name} is not a cron service`, { hint: 'Give it a schedule: `wharf settings --set cronSchedule="0 2 * * *"`.' });
    }
    if (!ctx.instance.activeDeploymentId) throw new WharfError('CONFLICT', `${ctx.service.name} has no build to run yet`, { hint: 'Deploy it first with `wharf up`.' });
    scheduler.reload();
    const started = await scheduler.trigger(ctx.instance.id);
    return c.json(view(store.cronRuns.get(started.runId)), 201);
  });

  registry.add({ method: 'get', path: `${SERVICE}/cron/runs`, summary: "A cron service's runs, skips and misses, newest first", query: z.object({ limit: z.string().optional() }), response: z.array(runView) });
  app.get(`${SERVICE}/cron/runs`, (c) => {
    const ctx = resolveInstance(store, c.req.param('project')!, c.req.param('environment')!, c.req.param('service')!);
    const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 50) || 50, 1), 1000);
    return c.json(store.cronRuns.history(ctx.instance.id, limit).map(view));
  });

  registry.add({ method: 'get', path: `${SERVICE}/cron/runs/:run`, summary: 'One run with its log lines', response: runView.extend({ lines: z.array(z.object({ t: z.string(), s: z.string(), m: z.string() })) }) });
  app.get(`${SERVICE}/cron/runs/:run`, async (c) => {
    const ctx = resolveInstance(store, c.req.param('project')!, c.req.param('environment')!, c.req.param('service')!);
    const id = c.req.param('run');
    const run = id === 'latest' ? store.cronRuns.history(ctx.instance.id, 1)[0] : store.cronRuns.find(id);
    if (!run || run.instanceId !== ctx.instance.id) throw new WharfError('NOT_FOUND', `no run '${id}' of ${ctx.service.name}`, { hint: 'List them with `wharf cron history`.' });
    return c.json({ ...view(run), lines: run.logFile ? await readAllLines(run.logFile) : [] });
  });
}
