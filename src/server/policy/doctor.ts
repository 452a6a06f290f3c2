import type { Project } from '../../core/model.js';
import type { BuildService } from '../deploy/context.js';
import { serviceSource } from '../deploy/source-root.js';
import { readSourceText } from '../../shared/read-in-source.js';
import { environmentScope, type ScopeContext } from '../deploy/variables-snapshot.js';
import type { ServerOptions } from '../options.js';
import type { Store } from '../store/store.js';
import { checkPolicy, parseEnvExample, type Finding, type PolicyConfig, type PolicyEnvironment, type PolicyInput, type PolicyRule } from '../variables/policy.js';
import { resolveAll } from '../variables/references.js';

// `wharf doctor`: the environment policy over every environment of a project, from the
// values deployments would get (references resolved), never printing a value.

const DATABASE_URL = /^(postgres(ql)?|mysql|mariadb|mongodb(\+srv)?|redis|rediss):\/\//i;

/** WHARF_POLICY=off|warn|block: off skips the checks, warn never blocks, block keeps each rule's severity. */
export function policyConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PolicyConfig | null {
  const mode = env.WHARF_POLICY ?? 'block';
  if (mode === 'off') return null;
  if (mode === 'warn') {
    const rules: Partial<Record<PolicyRule, 'warn'>> = {
      'shared-secret': 'warn',
      'production-database-outside-production': 'warn',
      'live-payment-key-outside-production': 'warn',
      'missing-required': 'warn',
    };
    return { rules };
  }
  return {};
}

export async function doctorInput(ctx: ScopeContext & { builds: BuildService }, project: Project): Promise<PolicyInput> {
  const { store, builds } = ctx;
  const environments: PolicyEnvironment[] = [];
  const databases: Record<string, string[]> = {};
  const required: Record<string, string[]> = {};
  for (const env of store.projects.listEnvironments(project.id)) {
    const scope = environmentScope(ctx, env.id);
    let resolved: ReturnType<typeof resolveAll>;
    try {
      resolved = resolveAll(scope.input);
    } catch {
      // A broken reference is reported where it is set; the policy looks at raw values then.
      resolved = { values: scope.input.services, shared: scope.input.shared } as ReturnType<typeof resolveAll>;
    }
    const services: PolicyEnvironment['services'] = {};
    for (const [service, values] of Object.entries(resolved.values)) {
      services[service] = Object.fromEntries(Object.entries(values).filter(([key]) => key in (scope.input.services[service] ?? {})).map(([key, value]) => [key, { value, secret: scope.secret.has(`${service}.${key}`) }]));
    }
    const shared = Object.fromEntries(Object.entries(resolved.shared ?? scope.input.shared).map(([key, value]) => [key, { value, secret: scope.secret.has(`shared.${key}`) }]));
    environments.push({ name: env.name, production: env.production, services, shared });
    databases[env.name] = [...Object.values(services).flatMap((vars) => Object.values(vars)), ...Object.values(shared)]
      .map((v) => v.value)
      .filter((v) => DATABASE_URL.test(v));
  }
  for (const service of store.projects.listServices(project.id)) {
    const keys = await envExampleKeys(store, builds, service.id);
    if (keys.length > 0) required[service.name] = keys;
  }
  return { environments, databases, required };
}

/** Keys of `.env.example` in the service's latest uploaded source, if it has one. */
async function envExampleKeys(store: Store, builds: BuildService, serviceId: string): Promise<string[]> {
  const latest = store.projects
    .listInstances()
    .filter((i) => i.serviceId === serviceId)
    .flatMap((i) => store.deployments.listForInstance(i.id, 1))
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
  if (!latest) return [];
  try {
    const root = serviceSource(builds.sourceDir(latest.sourceDigest), latest.config.rootDirectory);
    // Only inside the source: a link out of it is no .env.example.
    return parseEnvExample((await readSourceText(root.path, '.env.example')) ?? '');
  } catch {
    return [];
  }
}

export async function runDoctor(ctx: ScopeContext & { builds: BuildService }, project: Project, config: PolicyConfig): Promise<Finding[]> {
  return checkPolicy(await doctorInput(ctx, project), config);
}
