import type { Hono } from 'hono';
import { createProjectBody, projectView, type ProjectView } from '../../../core/api.js';
import { WharfError } from '../../../core/errors.js';
import type { Project } from '../../../core/model.js';
import type { Store } from '../../store/store.js';
import { jsonBody } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveProject } from '../resolve.js';
import { z } from 'zod';

function view(store: Store, project: Project): ProjectView {
  return {
    id: project.id,
    name: project.name,
    createdAt: project.createdAt,
    environments: store.projects.listEnvironments(project.id).map((e) => ({ id: e.id, name: e.name })),
    services: store.projects.listServices(project.id).map((s) => ({ id: s.id, name: s.name, kind: s.kind })),
  };
}

export function projectRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry } = deps;

  registry.add({ method: 'post', path: '/v1/projects', summary: 'Create a project (it starts with a production environment)', body: createProjectBody, response: projectView });
  app.post('/v1/projects', async (c) => {
    const body = await jsonBody(c, createProjectBody);
    if (store.projects.findProject(body.name)) {
      throw new WharfError('CONFLICT', `a project named '${body.name}' already exists`, { hint: `Link this folder to it with \`wharf link ${body.name}\`, or pick another --name.` });
    }
    const { project } = store.projects.createProject(body.name);
    return c.json(view(store, project), 201);
  });

  registry.add({ method: 'get', path: '/v1/projects', summary: 'List projects', response: z.array(projectView) });
  app.get('/v1/projects', (c) => c.json(store.projects.listProjects().map((p) => view(store, p))));

  registry.add({ method: 'get', path: '/v1/projects/:project', summary: 'A project with its environments and services', response: projectView });
  app.get('/v1/projects/:project', (c) => c.json(view(store, resolveProject(store, c.req.param('project')))));
}
