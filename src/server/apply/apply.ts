import type { Project } from '../../core/model.js';
import { serviceSettingsSchema } from '../../core/settings.js';
import { environmentScope, type ScopeContext } from '../deploy/variables-snapshot.js';
import type { ServerOptions } from '../options.js';
import type { Store } from '../store/store.js';
import { SHARED, type VariableInput } from '../store/variables.js';
import { generateSecret } from '../variables/generate.js';
import { checkReferences } from '../variables/references.js';
import { parseSchedule } from '../../shared/cron-schedule.js';
import type { DesiredEnvironment, DesiredVariable } from './desired.js';
import { planEnvironment, type Plan } from './plan.js';

function inputs(desired: DesiredVariable[], existing: Set<string>): VariableInput[] {
  const result: VariableInput[] = [];
  for (const v of desired) {
    if (v.generate) {
      if (!existing.has(v.key)) result.push({ key: v.key, value: generateSecret(), secret: true, sealed: v.sealed });
    } else if (v.value !== undefined) {
      result.push({ key: v.key, value: v.value, secret: v.secret, sealed: v.sealed });
    }
  }
  return result;
}

/**
 * Makes the store match a ProjectSpec for one environment, all or nothing: environments and
 * services are created, settings the spec names are set (others keep their values), variables
 * are set, secrets generated once. Every reference must resolve afterwards, or nothing changes.
 * Nothing is deleted: a service missing from the file is left alone.
 */
export function applyEnvironment(ctx: ScopeContext, project: Project, environmentName: string, desired: DesiredEnvironment): Plan {
  const { store, options, databases } = ctx;
  return store.db.transaction(() => {
    for (const name of desired.environments) {
      if (!store.projects.findEnvironment(project.id, name)) store.projects.createEnvironment(project.id, name);
    }
    const environment = store.projects.findEnvironment(project.id, environmentName)!;
    const plan = planEnvironment(store, project, environment, desired);
    // Named in the file: set; absent: left as it is, like settings the file does not name.
    if (desired.runtime && desired.runtime !== project.runtime) store.projects.setProjectRuntime(project.id, desired.runtime);
    for (const service of desired.services) {
      if (service.settings.cronSchedule) parseSchedule(service.settings.cronSchedule);
      let existing = store.projects.findService(project.id, service.name);
      if (!existing) existing = store.projects.createService(project.id, service.name, service.kind);
      else if (existing.kind !== service.kind) store.projects.setServiceKind(existing.id, service.kind);
      const instance = store.projects.findInstance(existing.id, environment.id)!;
      store.projects.updateSettings(instance.id, serviceSettingsSchema.parse({ ...instance.settings, ...service.settings }));
      const have = new Set(store.variables.list(environment.id, existing.id).map((v) => v.key));
      const set = inputs(service.variables, have);
      if (set.length > 0) store.variables.set(environment.id, existing.id, set);
    }
    const sharedHave = new Set(store.variables.list(environment.id, SHARED).map((v) => v.key));
    const shared = inputs(desired.shared, sharedHave);
    if (shared.length > 0) store.variables.set(environment.id, SHARED, shared);
    checkReferences(environmentScope({ store, options, databases }, environment.id).input);
    return plan;
  }).immediate();
}
