import type { Hono } from 'hono';
import { z } from 'zod';
import { createEnvironmentBody, environmentView, renameEnvironmentBody } from '../../../core/api.js';
import { WharfError } from '../../../core/errors.js';
import type { Environment } from '../../../core/model.js';
import { SHARED } from '../../store/variables.js';
import { parseReferences } from '../../variables/references.js';
import { jsonBody } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveEnvironment, resolveProject } from '../resolve.js';
import { VolumeService } from '../../volumes/volume-service.js';

const ENVIRONMENTS = '/v1/projects/:project/environments';

const view = (e: Environment) => ({ id: e.id, name: e.name, production: e.production, createdAt: e.createdAt });

export function environmentRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry, deployer } = deps;

  registry.add({ method: 'get', path: ENVIRONMENTS, summary: "A project's environments", response: z.array(environmentView) });
  app.get(ENVIRONMENTS, (c) => c.json(store.projects.listEnvironments(resolveProject(store, c.req.param('project')!).id).map(view)));

  registry.add({ method: 'post', path: ENVIRONMENTS, summary: 'Create an environment, empty or as a copy of another (settings and non-secret variables; never secrets)', body: createEnvironmentBody, response: environmentView });
  app.post(ENVIRONMENTS, async (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    const body = await jsonBody(c, createEnvironmentBody);
    if (store.projects.findEnvironment(project.id, body.name)) {
      throw new WharfError('CONFLICT', `environment '${body.name}' already exists in project '${project.name}'`);
    }
    const from = body.from ? resolveEnvironment(store, project.name, body.from).environment : null;
    const created = store.db.transaction(() => {
      const env = store.projects.createEnvironment(project.id, body.name, from?.id);
      if (from) {
        // Secrets stay where they are: seed 000's rule "never share JWT_SECRET between environments".
        // A plain value built from a secret (`pg://u:${{PASSWORD}}@h`) stays behind too: its
        // reference would not resolve in the new environment until the secret is set there.
        const scopes = store.variables.forEnvironment(from.id);
        const secretNames = new Set<string>();
        for (const [scope, variables] of scopes) {
          const name = scope === SHARED ? 'shared' : store.projects.getService(scope).name;
          for (const v of variables) if (v.secret || v.sealed) secretNames.add(`${name}.${v.key}`);
        }
        for (const [scope, variables] of scopes) {
          const name = scope === SHARED ? 'shared' : store.projects.getService(scope).name;
          const copy = variables
            .filter((v) => !v.secret && !v.sealed)
            .filter((v) => !parseReferences(v.value).some((r) => secretNames.has(`${r.namespace ?? name}.${r.key}`)))
            .map((v) => ({ key: v.key, value: v.value }));
          if (copy.length > 0) store.variables.set(env.id, scope, copy);
        }
      }
      return env;
    }).immediate();
    return c.json(view(created), 201);
  });

  registry.add({ method: 'patch', path: `${ENVIRONMENTS}/:environment`, summary: 'Rename an environment (service hosts follow the new name)', body: renameEnvironmentBody, response: environmentView });
  app.patch(`${ENVIRONMENTS}/:environment`, async (c) => {
    const { project, environment } = resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!);
    const body = await jsonBody(c, renameEnvironmentBody);
    if (store.projects.findEnvironment(project.id, body.name)) throw new WharfError('CONFLICT', `environment '${body.name}' already exists`);
    store.projects.renameEnvironment(environment.id, body.name);
    return c.json(view(store.projects.getEnvironment(environment.id)));
  });

  registry.add({ method: 'delete', path: `${ENVIRONMENTS}/:environment`, summary: 'Delete an environment with everything in it; ?confirm=<name> is required', query: z.object({ confirm: z.string() }), response: environmentView });
  app.delete(`${ENVIRONMENTS}/:environment`, async (c) => {
    const { project, environment } = resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!);
    if (environment.production) {
      throw new WharfError('CONFLICT', `'${environment.name}' is the production environment and cannot be deleted`);
    }
    if (c.req.query('confirm') !== environment.name) {
      throw new WharfError('BAD_REQUEST', `deleting '${environment.name}' stops its services and deletes their deployments and variables`, {
        hint: `Confirm with ?confirm=${environment.name} (the CLI: \`wharf environment delete ${environment.name} --yes\`).`,
      });
    }
    for (const service of store.projects.listServices(project.id)) {
      const instance = store.projects.findInstance(service.id, environment.id);
      if (instance) await deployer.stopAll(instance.id);
      // A volume goes only with its service instance (docs/volumes.md).
      if (instance) await new VolumeService({ store, options: deps.options, ...(deps.volumeEngines ? { engines: deps.volumeEngines } : {}) }).removeForInstance(instance.id);
    }
    store.projects.deleteEnvironment(environment.id);
    await deps.routes.push();
    return c.json(view(environment));
  });
}
