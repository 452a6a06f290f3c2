import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { changeVariablesBody, deploymentView, variableView, type VariableView } from '../../../core/api.js';
import type { Deployment } from '../../../core/model.js';
import { platformVariables } from '../../deploy/platform-variables.js';
import { environmentScope, snapshotVariables } from '../../deploy/variables-snapshot.js';
import { SHARED, type StoredVariable } from '../../store/variables.js';
import { checkReferences, parseReferences } from '../../variables/references.js';
import { flag, jsonBody } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveEnvironment, resolveInstance } from '../resolve.js';
import { deploymentView as toDeploymentView } from '../views.js';
import { SERVICE } from './services.js';

const ENVIRONMENT = '/v1/projects/:project/environments/:environment';
const MASK = '********';

export function maskVariable(v: StoredVariable, reveal: boolean): VariableView {
  return { key: v.key, value: v.sealed ? null : v.secret && !reveal ? MASK : v.value, secret: v.secret, sealed: v.sealed, updatedAt: v.updatedAt };
}

const changeResponse = z.object({ variables: z.array(variableView), deployments: z.array(deploymentView) });

/** Applies a change to a list in memory, so references can be checked before anything is saved. */
function applyChange(current: StoredVariable[], body: z.infer<typeof changeVariablesBody>): StoredVariable[] {
  const byKey = new Map(current.map((v) => [v.key, v]));
  for (const key of body.delete) byKey.delete(key);
  const at = new Date().toISOString();
  for (const [key, input] of Object.entries(body.set)) {
    const given = typeof input === 'string' ? { value: input } : input;
    const before = byKey.get(key);
    const sealed = given.sealed === true || before?.sealed === true;
    byKey.set(key, { key, value: given.value, secret: sealed || (given.secret ?? before?.secret ?? false), sealed, updatedAt: at });
  }
  return [...byKey.values()];
}

export function variableRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry, options, deployer } = deps;
  const instanceOf = (c: Context, create = false) => resolveInstance(store, c.req.param('project')!, c.req.param('environment')!, c.req.param('service')!, { create });

  /** Saves a change to one scope after checking every reference in the environment still resolves. */
  async function change(environmentId: string, scopeId: string, body: z.infer<typeof changeVariablesBody>, redeployIds: (changed: Set<string>) => string[]) {
    const proposed = applyChange(store.variables.list(environmentId, scopeId), body);
    checkReferences(environmentScope(deps, environmentId, { serviceId: scopeId, variables: proposed }).input);
    store.db.transaction(() => {
      for (const key of body.delete) store.variables.delete(environmentId, scopeId, key);
      store.variables.set(environmentId, scopeId, Object.entries(body.set).map(([key, input]) => (typeof input === 'string' ? { key, value: input } : { key, ...input })));
    }).immediate();
    const deployments: Deployment[] = [];
    if (!body.skipDeploy) {
      for (const instanceId of redeployIds(new Set([...Object.keys(body.set), ...body.delete]))) {
        deployments.push(await deployer.redeploy(instanceId));
      }
    }
    return { variables: store.variables.list(environmentId, scopeId).map((v) => maskVariable(v, false)), deployments: deployments.map((d) => toDeploymentView(store, d)) };
  }

  /**
   * The service, made now if it does not exist, in one transaction with the check of its first
   * variables' references: a rejected change leaves no service behind.
   */
  function createWithVariables(c: Context, body: z.infer<typeof changeVariablesBody>) {
    return store.db
      .transaction(() => {
        const ctx = instanceOf(c, true);
        checkReferences(environmentScope(deps, ctx.environment.id, { serviceId: ctx.service.id, variables: applyChange(store.variables.list(ctx.environment.id, ctx.service.id), body) }).input);
        return ctx;
      })
      .immediate();
  }

  registry.add({ method: 'get', path: `${SERVICE}/variables`, summary: "The service's variables in this environment; secret values masked unless reveal=1, sealed ones never shown", query: z.object({ reveal: z.string().optional() }), response: z.array(variableView) });
  app.get(`${SERVICE}/variables`, (c) => {
    const ctx = instanceOf(c);
    const reveal = flag(c.req.query('reveal'));
    return c.json(store.variables.list(ctx.environment.id, ctx.service.id).map((v) => maskVariable(v, reveal)));
  });

  registry.add({ method: 'patch', path: `${SERVICE}/variables`, summary: 'Set and delete variables; references are checked first; redeploys the service unless skipDeploy; creates the service when ?create=1 (variables before the first deploy)', query: z.object({ create: z.string().optional() }), body: changeVariablesBody, response: changeResponse });
  app.patch(`${SERVICE}/variables`, async (c) => {
    const body = await jsonBody(c, changeVariablesBody);
    const ctx = flag(c.req.query('create')) ? createWithVariables(c, body) : instanceOf(c);
    const active = store.projects.getInstance(ctx.instance.id).activeDeploymentId;
    return c.json(await change(ctx.environment.id, ctx.service.id, body, () => (active ? [ctx.instance.id] : [])));
  });

  registry.add({ method: 'get', path: `${SERVICE}/variables/resolved`, summary: 'The values a deployment would get now, references resolved (for `wharf run`); sealed variables left out', response: z.object({ values: z.record(z.string(), z.string()), secretKeys: z.array(z.string()) }) });
  app.get(`${SERVICE}/variables/resolved`, (c) => {
    const ctx = instanceOf(c);
    // Sealed values never leave the server, not even inside a value built from one.
    const sealedValues = [...store.variables.forEnvironment(ctx.environment.id).values()].flat().filter((v) => v.sealed && v.value.length > 0).map((v) => v.value);
    const snapshot = snapshotVariables(deps, ctx.instance.id);
    const own = Object.fromEntries(Object.entries(snapshot.values).filter(([, value]) => !sealedValues.some((s) => value.includes(s))));
    const values = { ...platformVariables(options, ctx, ctx.instance.activeDeploymentId ?? ''), ...own };
    return c.json({ values, secretKeys: snapshot.secretKeys.filter((k) => k in own) });
  });

  registry.add({ method: 'get', path: `${ENVIRONMENT}/variables`, summary: 'Shared variables of an environment (`${{shared.KEY}}`)', query: z.object({ reveal: z.string().optional() }), response: z.array(variableView) });
  app.get(`${ENVIRONMENT}/variables`, (c) => {
    const { environment } = resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!);
    const reveal = flag(c.req.query('reveal'));
    return c.json(store.variables.list(environment.id, SHARED).map((v) => maskVariable(v, reveal)));
  });

  registry.add({ method: 'patch', path: `${ENVIRONMENT}/variables`, summary: 'Set and delete shared variables; redeploys the services that reference a changed one unless skipDeploy', body: changeVariablesBody, response: changeResponse });
  app.patch(`${ENVIRONMENT}/variables`, async (c) => {
    const { project, environment } = resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!);
    const body = await jsonBody(c, changeVariablesBody);
    return c.json(
      await change(environment.id, SHARED, body, (changed) => {
        const users: string[] = [];
        for (const service of store.projects.listServices(project.id)) {
          const instance = store.projects.findInstance(service.id, environment.id);
          if (!instance?.activeDeploymentId) continue;
          const refers = store.variables.list(environment.id, service.id).some((v) => parseReferences(v.value).some((r) => r.namespace === 'shared' && changed.has(r.key)));
          if (refers) users.push(instance.id);
        }
        return users;
      }),
    );
  });
}
