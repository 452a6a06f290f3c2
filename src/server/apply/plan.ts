import { DEFAULT_SETTINGS, type ServiceSettings } from '../../core/settings.js';
import type { Project, Environment } from '../../core/model.js';
import type { Store } from '../store/store.js';
import { SHARED, type StoredVariable } from '../store/variables.js';
import type { DesiredEnvironment, DesiredVariable } from './desired.js';

// The difference between a ProjectSpec and what the store holds for one environment.

export type ChangeAction = 'create' | 'update' | 'set' | 'generate' | 'missing';

export interface Change {
  action: ChangeAction;
  /** e.g. "environment staging", "service worker", "web.numReplicas", "web.API_URL", "shared.DOMAIN" */
  target: string;
  before?: string;
  after?: string;
}

export interface Plan {
  changes: Change[];
  warnings: string[];
}

const MASK = '********';
const show = (value: unknown) => (value === null || value === undefined ? '-' : typeof value === 'string' || typeof value === 'object' ? JSON.stringify(value) : String(value));

function variableChanges(scope: string, current: StoredVariable[], desired: DesiredVariable[]): Change[] {
  const byKey = new Map(current.map((v) => [v.key, v]));
  const changes: Change[] = [];
  for (const want of desired) {
    const have = byKey.get(want.key);
    const masked = want.secret || have?.secret;
    if (want.generate) {
      if (!have) changes.push({ action: 'generate', target: `${scope}.${want.key}`, after: MASK });
      continue;
    }
    if (want.value === undefined) {
      if (!have) changes.push({ action: 'missing', target: `${scope}.${want.key}` });
      continue;
    }
    if (!have) changes.push({ action: 'set', target: `${scope}.${want.key}`, after: masked ? MASK : show(want.value) });
    else if (have.value !== want.value || have.secret !== want.secret || (want.sealed && !have.sealed)) {
      changes.push({ action: 'update', target: `${scope}.${want.key}`, before: masked ? MASK : show(have.value), after: masked ? MASK : show(want.value) });
    }
  }
  return changes;
}

export function planEnvironment(store: Store, project: Project, environment: Environment | null, desired: DesiredEnvironment): Plan {
  const changes: Change[] = [];
  const warnings: string[] = [];
  if (desired.runtime && desired.runtime !== (store.projects.getProject(project.id).runtime ?? null)) {
    changes.push({ action: 'update', target: 'project runtime', before: show(store.projects.getProject(project.id).runtime ?? null), after: show(desired.runtime) });
  }
  for (const name of desired.environments) {
    if (!store.projects.findEnvironment(project.id, name)) changes.push({ action: 'create', target: `environment ${name}` });
  }
  for (const service of desired.services) {
    const existing = store.projects.findService(project.id, service.name);
    const instance = existing && environment ? store.projects.findInstance(existing.id, environment.id) : null;
    if (!existing) changes.push({ action: 'create', target: `service ${service.name}`, after: service.kind });
    else if (existing.kind !== service.kind) changes.push({ action: 'update', target: `service ${service.name}`, before: existing.kind, after: service.kind });
    const current: ServiceSettings = instance?.settings ?? DEFAULT_SETTINGS;
    for (const [key, value] of Object.entries(service.settings) as Array<[keyof ServiceSettings, unknown]>) {
      // Lists and tables (volumes, dependsOn, postDeployChecks) compare by value.
      if (value !== undefined && JSON.stringify(current[key]) !== JSON.stringify(value)) changes.push({ action: 'update', target: `${service.name}.${key}`, before: show(current[key]), after: show(value) });
    }
    const vars = existing && environment ? store.variables.list(environment.id, existing.id) : [];
    changes.push(...variableChanges(service.name, vars, service.variables));
    if (service.domains.length > 0) warnings.push(`${service.name}: custom domains (${service.domains.join(', ')}) are not supported yet and were not applied`);
  }
  const shared = environment ? store.variables.list(environment.id, SHARED) : [];
  changes.push(...variableChanges('shared', shared, desired.shared));
  for (const db of desired.databases) {
    const service = store.projects.findService(project.id, db.name);
    const instance = service && environment ? store.projects.findInstance(service.id, environment.id) : null;
    const existing = instance ? store.databases.forInstance(instance.id) : null;
    if (service && service.kind !== 'database') warnings.push(`database ${db.name}: a ${service.kind} service already has that name; rename one of them`);
    else if (!existing) changes.push({ action: 'create', target: `database ${db.name}`, after: db.engine });
    else if (existing.engine !== db.engine) warnings.push(`database ${db.name} is ${existing.engine}, the file says ${db.engine}: an engine is never changed in place`);
  }
  for (const change of changes.filter((c) => c.action === 'missing')) {
    const [scope, key] = change.target.split('.') as [string, string];
    const where = scope === 'shared' ? '--shared' : `--service ${scope}`;
    warnings.push(`${change.target} must be set before deploying: \`wharf variables ${where} --set ${key}=… --secret\``);
  }
  return { changes, warnings };
}
