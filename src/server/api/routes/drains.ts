import type { Hono } from 'hono';
import { z } from 'zod';
import { createDrainBody, drainTestView, drainView, parseDrainTarget, redactDrainUrl, type DrainView } from '../../../core/drains.js';
import { WharfError } from '../../../core/errors.js';
import type { DrainService } from '../../drains/service.js';
import type { LogDrain } from '../../store/drains.js';
import type { Store } from '../../store/store.js';
import { jsonBody } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveProject } from '../resolve.js';

const DRAINS = '/v1/projects/:project/drains';

function toView(store: Store, drain: LogDrain): DrainView {
  const name = (get: () => { name: string }) => {
    try {
      return get().name;
    } catch {
      return null;
    }
  };
  return {
    id: drain.id,
    transport: drain.transport,
    url: drain.url,
    environment: drain.environmentId ? name(() => store.projects.getEnvironment(drain.environmentId!)) : null,
    service: drain.serviceId ? name(() => store.projects.getService(drain.serviceId!)) : null,
    headers: drain.headerNames,
    token: drain.target.token !== null,
    facility: drain.transport === 'http' ? null : drain.target.facility,
    createdAt: drain.createdAt,
    status: {
      state: drain.failures > 0 ? 'failing' : drain.lastSuccessAt ? 'ok' : 'new',
      linesSent: drain.linesSent,
      linesDropped: drain.linesDropped,
      droppedUnreported: drain.droppedUnreported,
      lastSuccessAt: drain.lastSuccessAt,
      lastError: drain.lastError,
      lastErrorAt: drain.lastErrorAt,
      failingSince: drain.failingSince,
      cursor: drain.cursor,
    },
  };
}

export function drainRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry } = deps;
  const service = (): DrainService => {
    if (!deps.drains) throw new WharfError('CONFLICT', 'log drains need the log index, which this server has not started', { hint: 'Start the server with `wharf server`.' });
    return deps.drains;
  };
  const drainOf = (projectName: string, id: string) => {
    const project = resolveProject(store, projectName);
    const drain = service().drains.get(id);
    if (!drain || drain.projectId !== project.id) {
      throw new WharfError('NOT_FOUND', `log drain '${id}' does not exist in project '${project.name}'`, { hint: 'List the drains with `wharf drains list`.' });
    }
    return drain;
  };

  registry.add({ method: 'get', path: DRAINS, summary: "A project's log drains with their delivery status (headers, tokens and passwords are never shown)", response: z.array(drainView) });
  app.get(DRAINS, (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    return c.json(service().drains.list({ projectId: project.id }).map((d) => toView(store, d)));
  });

  registry.add({
    method: 'post',
    path: DRAINS,
    summary: "Add a log drain: the project's lines (from now on) go to an HTTPS endpoint as JSON lines, or to syslog over TLS, TCP or UDP (RFC 5424)",
    body: createDrainBody,
    response: drainView,
  });
  app.post(DRAINS, async (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    const body = await jsonBody(c, createDrainBody);
    const target = parseDrainTarget(body);
    const environment = body.environment ? store.projects.findEnvironment(project.id, body.environment) : null;
    if (body.environment && !environment) {
      const names = store.projects.listEnvironments(project.id).map((e) => e.name);
      throw new WharfError('NOT_FOUND', `environment '${body.environment}' does not exist in project '${project.name}'`, { hint: `Environments: ${names.join(', ')}.` });
    }
    const svc = body.service ? store.projects.findService(project.id, body.service) : null;
    if (body.service && !svc) {
      const names = store.projects.listServices(project.id).map((s) => s.name);
      throw new WharfError('NOT_FOUND', `service '${body.service}' does not exist in project '${project.name}'`, { hint: names.length ? `Services: ${names.join(', ')}.` : 'Deploy one with `wharf up` first, or leave out --service.' });
    }
    const drains = service();
    const drain = drains.drains.create({
      projectId: project.id,
      environmentId: environment?.id ?? null,
      serviceId: svc?.id ?? null,
      target,
      url: redactDrainUrl(target.url),
      cursor: drains.startCursor(),
    });
    drains.sync();
    return c.json(toView(store, drain), 201);
  });

  registry.add({ method: 'get', path: `${DRAINS}/:id`, summary: 'One log drain with its delivery status', response: drainView });
  app.get(`${DRAINS}/:id`, (c) => c.json(toView(store, drainOf(c.req.param('project')!, c.req.param('id')!))));

  registry.add({ method: 'delete', path: `${DRAINS}/:id`, summary: 'Delete a log drain (lines not yet sent are not sent)', response: z.object({ deleted: z.string() }) });
  app.delete(`${DRAINS}/:id`, (c) => {
    const drain = drainOf(c.req.param('project')!, c.req.param('id')!);
    service().drains.delete(drain.id);
    service().sync();
    return c.json({ deleted: drain.id });
  });

  registry.add({ method: 'post', path: `${DRAINS}/:id/test`, summary: 'Send one test line through the drain now (one attempt); says whether it arrived', response: drainTestView });
  app.post(`${DRAINS}/:id/test`, async (c) => {
    const drain = drainOf(c.req.param('project')!, c.req.param('id')!);
    const result = await service().test(drain);
    return c.json({ ok: result.ok, durationMs: Math.round(result.durationMs), statusCode: result.statusCode, error: result.error });
  });
}
