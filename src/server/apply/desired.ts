import type { ProjectSpec, ServiceSpec, VariableSpec } from '../../core/project-spec.js';
import type { ServiceKind } from '../../core/model.js';
import type { ServiceSettingsPatch } from '../../core/settings.js';
import type { DatabaseEngine } from '../../core/database.js';
import type { RuntimeName } from '../../core/artifact.js';

// What a ProjectSpec asks of one environment: pure, so plan and apply agree by construction.

export interface DesiredVariable {
  key: string;
  /** Absent for `generate` (made once if missing) and `required` (the user sets it). */
  value?: string;
  secret: boolean;
  sealed: boolean;
  generate: boolean;
  required: boolean;
}

export interface DesiredService {
  name: string;
  kind: ServiceKind;
  settings: ServiceSettingsPatch;
  variables: DesiredVariable[];
  domains: string[];
}

export interface DesiredEnvironment {
  environment: string;
  /** The project's runtime, when the file names one (it is the project's, not the environment's). */
  runtime?: RuntimeName;
  environments: string[];
  services: DesiredService[];
  shared: DesiredVariable[];
  databases: Array<{ name: string; engine: DatabaseEngine }>;
}

function toDesired(key: string, spec: VariableSpec): DesiredVariable {
  if (typeof spec === 'string') return { key, value: spec, secret: false, sealed: false, generate: false, required: false };
  return {
    key,
    ...(spec.value !== undefined ? { value: spec.value } : {}),
    secret: spec.secret === true || spec.sealed === true || spec.generate === 'secret',
    sealed: spec.sealed === true,
    generate: spec.generate === 'secret',
    required: spec.required === true,
  };
}

function variablesOf(...layers: Array<Record<string, VariableSpec> | undefined>): DesiredVariable[] {
  const merged: Record<string, VariableSpec> = {};
  for (const layer of layers) Object.assign(merged, layer ?? {});
  return Object.entries(merged).map(([key, spec]) => toDesired(key, spec));
}

function serviceFor(name: string, spec: ServiceSpec, environment: string): DesiredService {
  const { kind, root, environments, variables, domains, schedule, ...settings } = spec;
  const override = environments?.[environment] ?? {};
  const { variables: envVariables, domains: envDomains, schedule: envSchedule, ...envSettings } = override;
  const merged: ServiceSettingsPatch = { ...settings, ...envSettings };
  if (root !== '.') merged.rootDirectory = root;
  const cron = envSchedule ?? schedule;
  if (cron !== undefined) merged.cronSchedule = cron;
  if (kind === 'static' && merged.builder === undefined) merged.builder = 'STATIC';
  return { name, kind, settings: merged, variables: variablesOf(variables, envVariables), domains: envDomains ?? domains ?? [] };
}

export function desiredEnvironment(spec: ProjectSpec, environment: string): DesiredEnvironment {
  return {
    environment,
    ...(spec.runtime ? { runtime: spec.runtime } : {}),
    environments: [...new Set(['production', ...spec.environments, environment])],
    services: Object.entries(spec.services).map(([name, service]) => serviceFor(name, service, environment)),
    shared: variablesOf(spec.shared.variables, spec.shared.environments[environment]?.variables),
    databases: Object.entries(spec.databases).map(([name, db]) => ({ name, engine: db.engine })),
  };
}
