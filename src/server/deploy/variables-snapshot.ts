import { WharfError } from '../../core/errors.js';
import { NUL_MESSAGE } from '../../core/variable-value.js';
import type { Store } from '../store/store.js';
import { SHARED, type StoredVariable } from '../store/variables.js';
import type { ServerOptions } from '../options.js';
import { parseReferences, resolveAll } from '../variables/references.js';
import type { DatabaseAccess } from './context.js';
import { platformVariables } from './platform-variables.js';

export interface VariablesSnapshot {
  values: Record<string, string>;
  /** Keys whose values are secret (set as secret, or built from a secret): redacted from logs. */
  secretKeys: string[];
}

/** Everything references in one environment can see: services, shared, platform variables. */
/** What resolving variables needs: the store, the server's options, and (when managed) databases. */
export interface ScopeContext {
  store: Store;
  options: ServerOptions;
  databases?: DatabaseAccess;
}

export function environmentScope({ store, options, databases }: ScopeContext, environmentId: string, override?: { serviceId: string; variables: StoredVariable[] }) {
  const env = store.projects.getEnvironment(environmentId);
  const services = store.projects.listServices(env.projectId);
  const byScope = store.variables.forEnvironment(environmentId);
  if (override) byScope.set(override.serviceId, override.variables);
  const raw: Record<string, Record<string, string>> = {};
  const platform: Record<string, Record<string, string>> = {};
  const secret = new Set<string>();
  for (const service of services) {
    const instance = store.projects.findInstance(service.id, env.id);
    if (!instance) continue;
    const ctx = store.projects.describeInstance(instance.id);
    // Another service's ${{web.PORT}} is where it can be reached: its private port.
    const database = databases?.variablesOf(instance.id);
    platform[service.name] = database
      ? // A database's namespace is its connection variables: ${{db.DATABASE_URL}}.
        { ...platformVariables(options, ctx, ''), ...database }
      : {
          ...platformVariables(options, ctx, instance.activeDeploymentId ?? ''),
          // Until a new service has its private port (given out before it deploys), references
          // to it can be checked but not yet used.
          PORT: instance.privatePort ? String(instance.privatePort) : '0',
        };
    raw[service.name] = {};
    for (const v of byScope.get(service.id) ?? []) {
      raw[service.name]![v.key] = v.value;
      if (v.secret) secret.add(`${service.name}.${v.key}`);
    }
  }
  const shared: Record<string, string> = {};
  for (const v of byScope.get(SHARED) ?? []) {
    shared[v.key] = v.value;
    if (v.secret) secret.add(`shared.${v.key}`);
  }
  return { input: { services: raw, shared, platform }, secret, services };
}

/**
 * The variables a new deployment of an instance runs with: its own variables with every
 * reference resolved. Snapshotted into the deployment, so a rollback runs with what its
 * deployment ran with; platform variables (PORT, RAILWAY_*) are added when a replica starts.
 */
export function snapshotVariables(scopeCtx: ScopeContext, instanceId: string): VariablesSnapshot {
  const { store } = scopeCtx;
  const ctx = store.projects.describeInstance(instanceId);
  const scope = environmentScope(scopeCtx, ctx.environment.id);
  const resolved = resolveAll(scope.input);
  const name = ctx.service.name;
  const own = resolved.values[name] ?? {};
  const values = { ...own };
  // The API refuses these; one stored by an earlier version must not reach a process, whose
  // spawn error would quote it.
  for (const [key, value] of Object.entries(values)) {
    if (value.includes('\0')) {
      throw new WharfError('BAD_REQUEST', `variable ${key} of ${name}: ${NUL_MESSAGE}`, { hint: `Set it again without the NUL byte: \`wharf variables --set ${key}=…\`.` });
    }
  }
  const secretKeys = Object.keys(scope.input.services[name] ?? {}).filter((key) => {
    if (scope.secret.has(`${name}.${key}`)) return true;
    // A value built from a secret (DATABASE_URL from a password) is as secret as its part.
    return parseReferences(scope.input.services[name]![key]!).some((ref) => scope.secret.has(`${ref.namespace ?? name}.${ref.key}`));
  });
  return { values, secretKeys };
}
