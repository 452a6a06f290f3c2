import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { z } from 'zod';
import { logLineView, logsQuery } from '../../../core/api.js';
import { WharfError } from '../../../core/errors.js';
import type { Deployment } from '../../../core/model.js';
import { buildLogFile, deploymentLogDir } from '../../observe/log-paths.js';
import { LogCursor, parseSince, replicaLogFiles, selectLines } from '../../observe/log-query.js';
import { flag } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveInstance } from '../resolve.js';
import { SERVICE } from './services.js';

export function logRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry, options } = deps;

  registry.add({
    method: 'get',
    path: `${SERVICE}/logs`,
    summary: 'Runtime logs of the active (or a given) deployment, or its build log with build=1; follow=1 streams server-sent events ("log")',
    query: logsQuery,
    response: z.object({ lines: z.array(logLineView) }),
  });
  app.get(`${SERVICE}/logs`, async (c) => {
    const ctx = resolveInstance(store, c.req.param('project')!, c.req.param('environment')!, c.req.param('service')!);
    const query = logsQuery.parse(c.req.query());
    const since = parseSince(query.since);
    const build = flag(query.build);
    const follow = flag(query.follow);
    const pick = (): Deployment | null => {
      if (query.deployment) {
        const { deployments } = store;
        const d = /^\d+$/.test(query.deployment) ? deployments.findByNumber(ctx.instance.id, Number(query.deployment)) : deployments.find(query.deployment);
        if (!d || d.instanceId !== ctx.instance.id) throw new WharfError('NOT_FOUND', `deployment '${query.deployment}' is not a deployment of this service`, { hint: 'List them with `wharf deployments`.' });
        return d;
      }
      const instance = store.projects.getInstance(ctx.instance.id);
      if (!build && instance.activeDeploymentId) return store.deployments.get(instance.activeDeploymentId);
      return store.deployments.listForInstance(ctx.instance.id, 1)[0] ?? null;
    };
    const database = ctx.service.kind === 'database' ? path.join(options.paths.logs, ctx.instance.id, 'database') : null;
    const filesOf = async (d: Deployment | null) => {
      if (database) return replicaLogFiles(database);
      if (!d) return [];
      if (build) return [buildLogFile(options.paths.logs, d.instanceId, d.id)];
      return replicaLogFiles(deploymentLogDir(options.paths.logs, d.instanceId, d.id));
    };

    const cursor = new LogCursor();
    const first = await cursor.read(await filesOf(pick()), !build);
    const initial = selectLines(first, since, query.lines ?? (follow ? 100 : undefined));
    if (!follow) return c.json({ lines: initial });

    return streamSSE(c, async (stream) => {
      let aborted = false;
      stream.onAbort(() => {
        aborted = true;
      });
      for (const line of initial) await stream.writeSSE({ event: 'log', data: JSON.stringify(line) });
      // Follows the deployment that is live now, so a redeploy shows up in the same stream.
      while (!aborted) {
        await sleep(200);
        const current = pick();
        for (const line of await cursor.read(await filesOf(current), !build)) {
          await stream.writeSSE({ event: 'log', data: JSON.stringify(line) });
        }
      }
    });
  });
}
