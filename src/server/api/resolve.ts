import { WharfError } from '../../core/errors.js';
import { checkName } from '../../core/names.js';
import type { ServiceKind } from '../../core/model.js';
import type { InstanceContext } from '../store/projects.js';
import type { Store } from '../store/store.js';

// Path parameters → records, with errors that say which name was not found and what to run.

export function resolveProject(store: Store, project: string) {
  const found = store.projects.findProject(project);
  if (!found) throw new WharfError('NOT_FOUND', `project '${project}' does not exist`, { hint: 'Create it with `wharf init`, or list projects with `wharf projects`.' });
  return found;
}

export function resolveEnvironment(store: Store, project: string, environment: string) {
  const p = resolveProject(store, project);
  const env = store.projects.findEnvironment(p.id, environment);
  if (!env) {
    const names = store.projects.listEnvironments(p.id).map((e) => e.name).join(', ');
    throw new WharfError('NOT_FOUND', `environment '${environment}' does not exist in project '${p.name}'`, { hint: `Environments: ${names}.` });
  }
  return { project: p, environment: env };
}

export function resolveInstance(store: Store, project: string, environment: string, service: string, options: { create?: boolean; kind?: ServiceKind } = {}): InstanceContext {
  const { project: p, environment: env } = resolveEnvironment(store, project, environment);
  let svc = store.projects.findService(p.id, service);
  if (!svc && options.create) svc = store.projects.createService(p.id, checkName('service', service), options.kind ?? 'web');
  if (!svc) {
    const names = store.projects.listServices(p.id).map((s) => s.name);
    throw new WharfError('NOT_FOUND', `service '${service}' does not exist in project '${p.name}'`, {
      hint: names.length > 0 ? `Services: ${names.join(', ')}.` : 'Deploy one with `wharf up`.',
    });
  }
  const instance = store.projects.findInstance(svc.id, env.id)!;
  return { project: p, environment: env, service: svc, instance };
}
