import { Readable } from 'node:stream';
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { deploymentEventView, deploymentView, rollbackBody } from '../../../core/api.js';
import { WharfError } from '../../../core/errors.js';
import { FINAL_STATUSES } from '../../../core/model.js';
import { checkId } from '../../../core/names.js';
import { readLinesFrom } from '../../observe/log-file.js';
import { buildLogFile } from '../../observe/log-paths.js';
import { flag, jsonBody } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveEnvironment, resolveInstance } from '../resolve.js';
import { deploymentView as view } from '../views.js';
import { SERVICE } from './services.js';

const kindQuery = z.enum(['web', 'worker', 'cron', 'static']).optional();

export function deploymentRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry, deployer } = deps;
  const instanceOf = (c: Context, create = false) =>
    resolveInstance(store, c.req.param('project')!, c.req.param('environment')!, c.req.param('service')!, { create, kind: kindQuery.parse(c.req.query('kind')) });

  registry.add({ method: 'post', path: `${SERVICE}/deployments`, summary: 'Upload a folder (.tar.gz) and deploy it; creates the service when ?create=1', rawBody: 'application/gzip', query: z.object({ create: z.string().optional(), kind: kindQuery }), response: deploymentView });
  app.post(`${SERVICE}/deployments`, async (c) => {
    const create = flag(c.req.query('create'));
    const existing = create ? store.projects.findService(resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!).project.id, c.req.param('service')!) : instanceOf(c).service;
    const body = c.req.raw.body;
    if (!body) throw new WharfError('INVALID_SOURCE', 'the request has no body', { hint: 'Send the folder as a .tar.gz (`wharf up` does this).' });
    // The upload and its railway.json are checked before a new service is made, so a rejected
    // one leaves nothing behind.
    const source = await deps.storeSource(Readable.fromWeb(body as never));
    if (!existing) await deployer.checkSourceForNewService(source.digest, c.req.param('environment')!);
    const ctx = instanceOf(c, create);
    // A service made before its first deploy (its variables were set first) is still new: it
    // takes the kind its first deploy asks for (`wharf up --kind worker`).
    const kind = kindQuery.parse(c.req.query('kind'));
    if (kind && kind !== ctx.service.kind && store.deployments.listForInstance(ctx.instance.id).length === 0) store.projects.setServiceKind(ctx.service.id, kind);
    const deployment = await deployer.deploySource(ctx.instance.id, source.digest, 'up');
    return c.json(view(store, deployment), 202);
  });

  registry.add({ method: 'get', path: `${SERVICE}/deployments`, summary: 'Deployments of a service, newest first', response: z.array(deploymentView) });
  app.get(`${SERVICE}/deployments`, (c) => c.json(store.deployments.listForInstance(instanceOf(c).instance.id).map((d) => view(store, d))));

  registry.add({ method: 'post', path: `${SERVICE}/redeploy`, summary: "Rebuild and deploy the latest deployment's source", response: deploymentView });
  app.post(`${SERVICE}/redeploy`, async (c) => c.json(view(store, await deployer.redeploy(instanceOf(c).instance.id)), 202));

  registry.add({ method: 'post', path: `${SERVICE}/rollback`, summary: 'Re-activate an earlier deployment (default: the previous live one) from its kept build', body: rollbackBody, response: deploymentView });
  app.post(`${SERVICE}/rollback`, async (c) => {
    const body = await jsonBody(c, rollbackBody);
    return c.json(view(store, deployer.rollback(instanceOf(c).instance.id, body.deployment)), 202);
  });

  registry.add({ method: 'post', path: `${SERVICE}/restart`, summary: "Replace the active deployment's replicas with fresh ones, without downtime", response: deploymentView });
  app.post(`${SERVICE}/restart`, async (c) => c.json(view(store, await deployer.restart(instanceOf(c).instance.id))));

  registry.add({ method: 'delete', path: `${SERVICE}/deployment`, summary: "Stop the service's active deployment and remove its route", response: deploymentView });
  app.delete(`${SERVICE}/deployment`, async (c) => c.json(view(store, await deployer.down(instanceOf(c).instance.id))));

  registry.add({ method: 'get', path: '/v1/deployments/:id', summary: 'One deployment with its status history', response: deploymentView.extend({ events: z.array(deploymentEventView) }) });
  app.get('/v1/deployments/:id', (c) => {
    const deployment = store.deployments.find(checkId(c.req.param('id')));
    if (!deployment) throw new WharfError('NOT_FOUND', `deployment '${c.req.param('id')}' does not exist`);
    const events = store.deployments.events(deployment.id).map(({ id, status, message, at }) => ({ id, status, message, at }));
    return c.json({ ...view(store, deployment), events });
  });

  registry.add({ method: 'get', path: '/v1/deployments/:id/stream', summary: 'Server-sent events: build/deploy log lines (event "log") and status changes (event "status") until the deployment settles (event "end")', stream: true });
  app.get('/v1/deployments/:id/stream', (c) => {
    const found = store.deployments.find(checkId(c.req.param('id')));
    if (!found) throw new WharfError('NOT_FOUND', `deployment '${c.req.param('id')}' does not exist`);
    const file = buildLogFile(deps.options.paths.logs, found.instanceId, found.id);
    return streamSSE(c, async (stream) => {
      let offset = 0;
      let lastEvent = 0;
      let aborted = false;
      stream.onAbort(() => {
        aborted = true;
      });
      while (!aborted) {
        // Status changes and log lines in the order they happened.
        const events = store.deployments.events(found.id, lastEvent);
        const read = await readLinesFrom(file, offset);
        offset = read.offset;
        const merged = [
          ...events.map((e) => ({ at: e.at, event: 'status', data: JSON.stringify({ id: e.id, status: e.status, message: e.message, at: e.at }) })),
          ...read.lines.map((line) => ({ at: line.t, event: 'log', data: JSON.stringify(line) })),
        ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.event === b.event ? 0 : a.event === 'status' ? -1 : 1));
        if (events.length > 0) lastEvent = events[events.length - 1]!.id;
        for (const item of merged) await stream.writeSSE({ event: item.event, data: item.data });
        const current = store.deployments.get(found.id);
        if (FINAL_STATUSES.includes(current.status) && read.lines.length === 0 && events.length === 0 && !deployerBusy(deps, current.id)) {
          await stream.writeSSE({ event: 'end', data: JSON.stringify(view(store, current)) });
          return;
        }
        await sleep(150);
      }
    });
  });
}

function deployerBusy(deps: ApiDeps, deploymentId: string): boolean {
  return deps.deployer.isRunning(deploymentId);
}
