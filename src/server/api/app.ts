import { Hono } from 'hono';
import { WharfError } from '../../core/errors.js';
import { requireToken } from './auth.js';
import { alertRoutes } from './routes/alerts.js';
import { databaseRoutes } from './routes/databases.js';
import { cronRoutes } from './routes/cron.js';
import { eventRoutes } from './routes/events.js';
import { runRoutes } from './routes/run.js';
import { adminRoutes } from './routes/admin.js';
import type { ApiDeps } from './deps.js';
import { errorResponse } from './errors.js';
import { deploymentRoutes } from './routes/deployments.js';
import { drainRoutes } from './routes/drains.js';
import { environmentRoutes } from './routes/environments.js';
import { logRoutes } from './routes/logs.js';
import { metricsRoutes } from './routes/metrics.js';
import { projectRoutes } from './routes/projects.js';
import { projectSpecRoutes } from './routes/project-spec.js';
import { SERVICE, serviceRoutes } from './routes/services.js';
import { variableRoutes } from './routes/variables.js';
import { volumeRoutes } from './routes/volumes.js';

/** The HTTP API: every route declared with its schemas, behind bearer-token auth. */
export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const publicPaths = new Set(['/v1/health', '/v1/openapi.json']);
  app.onError((error, c) => errorResponse(error, c, deps.logger));
  app.notFound(() => {
    throw new WharfError('NOT_FOUND', 'no such API route', { hint: 'See GET /v1/openapi.json for the routes.' });
  });
  app.use('*', requireToken(deps.store, (_method, path) => publicPaths.has(path)));

  deps.registry.add({ method: 'get', path: '/v1/health', summary: 'Liveness of the control plane', public: true });
  app.get('/v1/health', (c) => c.json({ ok: true, version: deps.version }));
  deps.registry.add({ method: 'get', path: '/v1/openapi.json', summary: 'This API as an OpenAPI 3.1 document', public: true });
  app.get('/v1/openapi.json', (c) => c.json(deps.registry.openapi(deps.version)));
  // Served by the WebSocket upgrade handler (exec-socket.ts), listed here so the document is whole.
  deps.registry.add({ method: 'get', path: `${SERVICE}/exec`, summary: 'WebSocket upgrade: a command in a pseudo-terminal in the live build (`wharf exec -it`); ?cmd=…&cmd=…&cols=&rows=', stream: true });

  projectRoutes(app, deps);
  environmentRoutes(app, deps);
  serviceRoutes(app, deps);
  variableRoutes(app, deps);
  projectSpecRoutes(app, deps);
  adminRoutes(app, deps);
  runRoutes(app, deps);
  eventRoutes(app, deps);
  alertRoutes(app, deps);
  cronRoutes(app, deps);
  databaseRoutes(app, deps, { manager: deps.databaseManager, backups: deps.backups });
  deploymentRoutes(app, deps);
  logRoutes(app, deps);
  drainRoutes(app, deps);
  metricsRoutes(app, deps);
  volumeRoutes(app, deps, deps.volumeEngines);
  return app;
}
