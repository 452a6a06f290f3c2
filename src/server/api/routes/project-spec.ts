import { Readable } from 'node:stream';
import type { Hono } from 'hono';
import { z } from 'zod';
import { deploymentView } from '../../../core/api.js';
import { WharfError } from '../../../core/errors.js';
import { projectSpecSchema } from '../../../core/project-spec.js';
import { applyEnvironment } from '../../apply/apply.js';
import { desiredEnvironment, type DesiredEnvironment } from '../../apply/desired.js';
import { planEnvironment } from '../../apply/plan.js';
import { ensurePrivatePorts } from '../../deploy/private-ports.js';
import { jsonBody } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveEnvironment, resolveInstance, resolveProject } from '../resolve.js';
import { deploymentView as toView } from '../views.js';

const ENVIRONMENT = '/v1/projects/:project/environments/:environment';

const specBody = z.object({ spec: projectSpecSchema }).strict();
const changeView = z.object({ action: z.string(), target: z.string(), before: z.string().optional(), after: z.string().optional() });
const planView = z.object({ changes: z.array(changeView), warnings: z.array(z.string()) });

/** Creates the database services a spec lists and provisions them in the environment (if new). */
async function provisionDatabases(deps: ApiDeps, projectId: string, environmentName: string, databases: DesiredEnvironment['databases']) {
  const { store, databaseManager } = deps;
  const created: DesiredEnvironment['databases'] = [];
  const project = store.projects.getProject(projectId);
  if (!store.projects.findEnvironment(projectId, environmentName)) store.projects.createEnvironment(projectId, environmentName);
  for (const db of databases) {
    let service = store.projects.findService(projectId, db.name);
    if (service && service.kind !== 'database') continue;
    if (!service) service = store.projects.createService(projectId, db.name, 'database');
    const ctx = resolveInstance(store, project.name, environmentName, db.name);
    if (store.databases.forInstance(ctx.instance.id)) continue;
    await databaseManager.provision(ctx, db.engine);
    created.push(db);
  }
  return created;
}

export function projectSpecRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry, options, deployer } = deps;

  registry.add({ method: 'post', path: `${ENVIRONMENT}/plan`, summary: 'What applying a project spec (wharf.toml, render.yaml …) to this environment would change; changes nothing', body: specBody, response: planView });
  app.post(`${ENVIRONMENT}/plan`, async (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    const { spec } = await jsonBody(c, specBody);
    const name = c.req.param('environment')!;
    const environment = store.projects.findEnvironment(project.id, name);
    return c.json(planEnvironment(store, project, environment, desiredEnvironment(spec, name)));
  });

  registry.add({ method: 'post', path: `${ENVIRONMENT}/apply`, summary: 'Apply a project spec to this environment: environments, services, settings, variables (all or nothing)', body: specBody, response: planView });
  app.post(`${ENVIRONMENT}/apply`, async (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    const { spec } = await jsonBody(c, specBody);
    const name = c.req.param('environment')!;
    const desired = desiredEnvironment(spec, name);
    // Databases first: services' references to them must resolve when the rest is applied.
    const provisioned = await provisionDatabases(deps, project.id, name, desired.databases);
    const applied = applyEnvironment(deps, project, name, desired);
    applied.changes.unshift(...provisioned.map((db) => ({ action: 'create' as const, target: `database ${db.name}`, after: db.engine })));
    await ensurePrivatePorts(store, options);
    return c.json(applied);
  });

  registry.add({ method: 'post', path: `${ENVIRONMENT}/deployments`, summary: "Upload a folder (.tar.gz) and deploy every service of the environment from it (or ?services=a,b), in reference order", rawBody: 'application/gzip', query: z.object({ services: z.string().optional() }), response: z.array(deploymentView) });
  app.post(`${ENVIRONMENT}/deployments`, async (c) => {
    const { project, environment } = resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!);
    const body = c.req.raw.body;
    if (!body) throw new WharfError('INVALID_SOURCE', 'the request has no body', { hint: 'Send the folder as a .tar.gz (`wharf up` does this).' });
    const only = c.req.query('services')?.split(',').filter(Boolean);
    const source = await deps.storeSource(Readable.fromWeb(body as never));
    const deployments = await deployer.deployEnvironment(project.id, environment.id, source.digest, only);
    return c.json(deployments.map((d) => toView(store, d)), 202);
  });
}
