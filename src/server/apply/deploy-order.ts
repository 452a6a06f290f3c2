import { environmentScope, type ScopeContext } from '../deploy/variables-snapshot.js';
import { dependencyOrder } from '../variables/references.js';

// The order of a batch deploy (`wharf up` of several services): a service waits for the ones it
// references (Railway's rule) and for the ones its dependsOn names (Compose depends_on), each
// until that deploy has finished, health check included. Services in one wave deploy together.

export function deployWaves(ctx: ScopeContext, environmentId: string): string[][] {
  const scope = environmentScope(ctx, environmentId);
  return dependencyOrder(scope.input, dependsOnEdges(ctx, environmentId));
}

/** Each service's dependsOn in this environment (databases are there before any deploy). */
export function dependsOnEdges(ctx: ScopeContext, environmentId: string): Map<string, string[]> {
  const { store } = ctx;
  const env = store.projects.getEnvironment(environmentId);
  const edges = new Map<string, string[]>();
  for (const service of store.projects.listServices(env.projectId)) {
    const instance = store.projects.findInstance(service.id, environmentId);
    if (instance && instance.settings.dependsOn.length > 0) edges.set(service.name, instance.settings.dependsOn);
  }
  return edges;
}
