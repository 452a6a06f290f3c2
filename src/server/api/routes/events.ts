import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { WharfEvent } from '../../store/events.js';
import { flag } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveProject } from '../resolve.js';

const eventView = z.object({
  id: z.number(),
  kind: z.string(),
  severity: z.enum(['info', 'warning', 'error']),
  message: z.string(),
  serviceId: z.string().nullable(),
  environmentId: z.string().nullable(),
  deploymentId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  at: z.string(),
});
const eventsQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  kind: z.string().max(60).optional(),
  follow: z.string().optional(),
});

const view = ({ projectId: _p, ...rest }: WharfEvent) => rest;

export function eventRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry } = deps;
  registry.add({ method: 'get', path: '/v1/projects/:project/events', summary: "A project's events (deployments, crashes, cron runs …), oldest first; follow=1 streams new ones", query: eventsQuery, response: z.array(eventView) });
  app.get('/v1/projects/:project/events', (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    const query = eventsQuery.parse(c.req.query());
    const list = store.events.list({ projectId: project.id, afterId: query.after, limit: query.limit ?? 50, kind: query.kind });
    if (!flag(query.follow)) return c.json(list.map(view));
    return streamSSE(c, async (stream) => {
      for (const e of list) await stream.writeSSE({ event: 'event', id: String(e.id), data: JSON.stringify(view(e)) });
      let last = list.at(-1)?.id ?? query.after ?? 0;
      await new Promise<void>((resolve) => {
        const unsubscribe = store.events.subscribe((e) => {
          if (e.projectId !== project.id || e.id <= last || (query.kind && !e.kind.startsWith(query.kind))) return;
          last = e.id;
          void stream.writeSSE({ event: 'event', id: String(e.id), data: JSON.stringify(view(e)) });
        });
        stream.onAbort(() => {
          unsubscribe();
          resolve();
        });
      });
    });
  });
}
