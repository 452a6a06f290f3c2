import type { Hono } from 'hono';
import { z } from 'zod';
import { createServiceBody, serviceStatusView, updateSettingsBody } from '../../../core/api.js';
import { WharfError } from '../../../core/errors.js';
import { serviceSettingsSchema, serviceSettingsViewSchema } from '../../../core/settings.js';
import { jsonBody } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { parseSchedule } from '../../../shared/cron-schedule.js';
import { resolveEnvironment, resolveInstance } from '../resolve.js';
import { serviceStatusView as statusView } from '../views.js';

export const SERVICES = '/v1/projects/:project/environments/:environment/services';
export const SERVICE = `${SERVICES}/:service`;

export function serviceRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry, runtime, options } = deps;

  registry.add({ method: 'get', path: SERVICES, summary: 'Status of every service in an environment: URL, active deployment, replicas', response: z.array(serviceStatusView) });
  app.get(SERVICES, async (c) => {
    const { project, environment } = resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!);
    const statuses = await runtime.list();
    const views = store.projects.listServices(project.id).map((service) => {
      const instance = store.projects.findInstance(service.id, environment.id)!;
      return statusView(store, options, { project, environment, service, instance }, statuses);
    });
    return c.json(views);
  });

  registry.add({ method: 'post', path: SERVICES, summary: 'Create a service', body: createServiceBody, response: serviceStatusView });
  app.post(SERVICES, async (c) => {
    const { project } = resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!);
    const body = await jsonBody(c, createServiceBody);
    if (store.projects.findService(project.id, body.name)) throw new WharfError('CONFLICT', `service '${body.name}' already exists`);
    store.projects.createService(project.id, body.name, body.kind);
    const ctx = resolveInstance(store, project.name, c.req.param('environment')!, body.name);
    return c.json(statusView(store, options, ctx, await runtime.list()), 201);
  });

  registry.add({ method: 'get', path: SERVICE, summary: 'Status of one service', response: serviceStatusView });
  app.get(SERVICE, async (c) => {
    const ctx = resolveInstance(store, c.req.param('project')!, c.req.param('environment')!, c.req.param('service')!);
    return c.json(statusView(store, options, ctx, await runtime.list()));
  });

  registry.add({ method: 'patch', path: `${SERVICE}/settings`, summary: 'Change service settings in this environment (used by the next deployment)', body: updateSettingsBody, response: serviceSettingsViewSchema });
  app.patch(`${SERVICE}/settings`, async (c) => {
    const ctx = resolveInstance(store, c.req.param('project')!, c.req.param('environment')!, c.req.param('service')!);
    const patch = await jsonBody(c, updateSettingsBody);
    const settings = serviceSettingsSchema.parse({ ...ctx.instance.settings, ...patch });
    if (settings.cronSchedule) parseSchedule(settings.cronSchedule);
    store.db.transaction(() => {
      store.projects.updateSettings(ctx.instance.id, settings);
      // Railway's rule: a cronSchedule makes the service a cron job; clearing it makes it a web service again.
      if (patch.cronSchedule !== undefined) store.projects.setServiceKind(ctx.service.id, settings.cronSchedule ? 'cron' : 'web');
    }).immediate();
    return c.json(settings);
  });
}
