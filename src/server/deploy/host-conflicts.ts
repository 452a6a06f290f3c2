import { WharfError } from '../../core/errors.js';
import type { ServiceKind } from '../../core/model.js';
import { DEFAULT_HOST_PATTERN, serviceHost, type ServerOptions } from '../options.js';
import type { Store } from '../store/store.js';

// A host belongs to one service instance. A WHARF_HOST_PATTERN without {project} (or
// {environment}) can give two instances the same host; the router could serve only one of them,
// and the CLI would print a URL answering with the other's app. So a deploy that would take a
// host another live instance holds is refused, before anything is built.

/** Kinds the router serves (workers, cron jobs and databases have no route). */
export function hasRoute(kind: ServiceKind): boolean {
  return kind !== 'worker' && kind !== 'cron' && kind !== 'database';
}

export function assertHostFree(store: Store, options: ServerOptions, instanceId: string): void {
  const mine = store.projects.describeInstance(instanceId);
  if (!hasRoute(mine.service.kind)) return;
  const host = serviceHost(options, { project: mine.project.name, environment: mine.environment.name, service: mine.service.name });
  for (const instance of store.projects.listInstances()) {
    if (instance.id === instanceId || !instance.activeDeploymentId) continue;
    const other = store.projects.describeInstance(instance.id);
    if (!hasRoute(other.service.kind)) continue;
    if (serviceHost(options, { project: other.project.name, environment: other.environment.name, service: other.service.name }) !== host) continue;
    const who = (c: typeof mine) => `${c.service.name} in project ${c.project.name} (${c.environment.name})`;
    throw new WharfError('CONFLICT', `host ${host} is already served by ${who(other)}; ${who(mine)} would share it`, {
      hint: `Name {service}, {environment} and {project} in the server's WHARF_HOST_PATTERN (now '${options.hostPattern}'; the default is '${DEFAULT_HOST_PATTERN}'), or rename one of the services.`,
    });
  }
}
