import type { ImportResult, ProjectSpecInput, VariableSpec } from '../../../core/project-spec.js';
import { Warnings, type PathSegment } from '../source.js';
import { readYaml } from '../yaml-source.js';
import { readDisk, readPlan } from './render-plans.js';
import { Checks, environmentList, finish, Names, type ImportOptions } from './common.js';

// render.yaml Blueprint → ProjectSpec (REFERENCE.md §5). Services of every compute type,
// Key Value and Postgres as databases, envVars in all their forms as variables with
// references; everything Render has that Wharf does not becomes a warning with its line.

type ServiceInput = NonNullable<ProjectSpecInput['services']>[string];
type Variables = Record<string, VariableSpec>;

const HINT = 'See docs/config-as-code.md for how render.yaml maps onto Wharf (Render: https://render.com/docs/blueprint-spec).';
export const RENDER_TYPES = ['web', 'worker', 'cron', 'pserv', 'static', 'keyvalue', 'redis'] as const;
const ROOT_KEYS = ['services', 'databases', 'envVarGroups', 'projects', 'ungrouped', 'previews', 'previewsEnabled', 'previewsExpireAfterDays', 'version'];
const SERVICE_KEYS = [
  'type', 'name', 'runtime', 'env', 'repo', 'branch', 'rootDir', 'region', 'plan', 'buildCommand', 'startCommand', 'preDeployCommand',
  'healthCheckPath', 'dockerfilePath', 'dockerContext', 'dockerCommand', 'image', 'registryCredential', 'autoDeploy', 'autoDeployTrigger',
  'buildFilter', 'numInstances', 'scaling', 'disk', 'envVars', 'domains', 'domain', 'maxShutdownDelaySeconds', 'previews', 'previewPlan',
  'pullRequestPreviewsEnabled', 'maintenanceMode', 'initialDeployHook', 'renderSubdomainPolicy', 'ipAllowList', 'staticPublishPath',
  'headers', 'routes', 'schedule', 'maxmemoryPolicy', 'persistenceMode',
];
/** Service fields Wharf has no counterpart for yet: each one present is a warning. */
const SERVICE_UNSUPPORTED: Record<string, string> = {
  repo: 'Wharf deploys the uploaded source; not mapped',
  branch: 'Wharf deploys the uploaded source; not mapped',
  region: 'Wharf runs on your own machines; no regions',
  registryCredential: 'private registries are not supported yet: log the engine in (`docker login`) so it can pull the image; ignored',
  autoDeploy: 'Wharf deploys when you run `wharf up`; auto-deploy is not supported yet',
  autoDeployTrigger: 'Wharf deploys when you run `wharf up`; auto-deploy is not supported yet',
  buildFilter: 'build filters are not supported yet; ignored',
  previews: 'preview environments are not supported yet; ignored',
  previewPlan: 'preview environments are not supported yet; ignored',
  pullRequestPreviewsEnabled: 'preview environments are not supported yet; ignored',
  maintenanceMode: 'maintenance mode is not supported yet; ignored',
  initialDeployHook: 'not supported yet; ignored (a preDeployCommand runs before every deployment)',
  renderSubdomainPolicy: 'Wharf always serves <service>-<environment>-<project>.<base> (WHARF_HOST_PATTERN); ignored',
  ipAllowList: 'IP allow lists are not supported yet; ignored',
  headers: 'static site headers are not supported yet; ignored',
  routes: 'static site redirects and rewrites are not supported yet; ignored',
  maxmemoryPolicy: 'Wharf runs Redis with its defaults; ignored',
  persistenceMode: 'Wharf runs Redis with its defaults; ignored',
};
const DATABASE_KEYS = [
  'name', 'databaseName', 'user', 'plan', 'previewPlan', 'previewDiskSizeGB', 'diskSizeGB', 'storageAutoscalingEnabled', 'region',
  'postgresMajorVersion', 'ipAllowList', 'readReplicas', 'highAvailability', 'connectionPool',
];
const ENV_VAR_KEYS = ['key', 'value', 'generateValue', 'sync', 'fromDatabase', 'fromService', 'fromGroup', 'previewValue'];
const NATIVE_RUNTIMES = ['node', 'python', 'go', 'ruby', 'rust', 'elixir', 'docker', 'image', 'static'] as const;
const DATABASE_PROPERTIES: Record<string, string> = {
  connectionString: 'DATABASE_URL',
  host: 'PGHOST',
  port: 'PGPORT',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  database: 'PGDATABASE',
};

interface Context {
  checks: Checks;
  warnings: Warnings;
  services: Names;
  environments: Names;
  groups: Map<string, { path: PathSegment[]; variables: Variables }>;
  /** Render names of Key Value instances and Postgres databases, for references. */
  keyValues: Set<string>;
  databases: Set<string>;
  out: { services: Record<string, ServiceInput>; databases: Record<string, { engine: 'postgres' | 'redis'; version?: string }>; shared: Variables };
}

interface Resources {
  path: PathSegment[];
  value: Record<string, unknown>;
}

export function importRender(file: string, text: string, _opts: ImportOptions = {}): ImportResult {
  const doc = readYaml(file, text);
  const checks = new Checks(doc, HINT);
  const root = checks.map([], doc.value ?? {}, 'a Blueprint with services, databases and envVarGroups');
  checks.knownKeys([], root, ROOT_KEYS);
  const warnings = new Warnings(doc);
  const ctx: Context = {
    checks,
    warnings,
    services: new Names(warnings, 'service'),
    environments: new Names(warnings, 'environment'),
    groups: new Map(),
    keyValues: new Set(),
    databases: new Set(),
    out: { services: {}, databases: {}, shared: {} },
  };
  if (root.version !== undefined && String(root.version) !== '1') warnings.add(['version'], `Blueprint version '${String(root.version)}' is not known; read as version 1`);
  for (const key of ['previews', 'previewsEnabled', 'previewsExpireAfterDays']) {
    if (root[key] !== undefined) warnings.add([key], 'preview environments are not supported yet; ignored');
  }

  // Every place resources may sit: the root, `ungrouped`, and each project's environments.
  const sets: Resources[] = [{ path: [], value: root }];
  const envNames: string[] = [];
  let projectName: string | undefined;
  if (root.ungrouped !== undefined) sets.push({ path: ['ungrouped'], value: checks.map(['ungrouped'], root.ungrouped) });
  if (root.projects !== undefined) {
    const projects = checks.list(['projects'], root.projects);
    projects.forEach((raw, i) => {
      const path = ['projects', i];
      const project = checks.map(path, raw);
      checks.knownKeys(path, project, ['name', 'environments', 'envVarGroups']);
      const name = checks.string([...path, 'name'], project.name, 'a project name');
      if (i === 0) projectName = new Names(warnings, 'project').name(name, [...path, 'name']);
      else warnings.add([...path, 'name'], `Wharf imports one project per file; the resources of '${name}' are added to '${projectName}'`);
      if (project.envVarGroups !== undefined) sets.push({ path, value: { envVarGroups: project.envVarGroups } });
      checks.list([...path, 'environments'], project.environments ?? []).forEach((rawEnv, j) => {
        const envPath = [...path, 'environments', j];
        const env = checks.map(envPath, rawEnv);
        checks.knownKeys(envPath, env, ['name', 'services', 'databases', 'envVarGroups', 'networking', 'permissions']);
        const envName = ctx.environments.name(checks.string([...envPath, 'name'], env.name, 'an environment name'), [...envPath, 'name']);
        envNames.push(envName);
        if (env.networking !== undefined) warnings.add([...envPath, 'networking'], 'network isolation is not supported yet; ignored');
        if (env.permissions !== undefined) warnings.add([...envPath, 'permissions'], 'environment protection is not supported yet; ignored');
        if (env.services !== undefined || env.databases !== undefined) {
          warnings.add(envPath, `Render environments hold their own resources; Wharf deploys one set of services to every environment, so the resources of '${envName}' are imported as project services`);
        }
        sets.push({ path: envPath, value: env });
      });
    });
  }

  // Groups first (services copy them), then names of databases and Key Value (references).
  for (const set of sets) if (set.value.envVarGroups !== undefined) readGroups(ctx, [...set.path, 'envVarGroups'], set.value.envVarGroups);
  for (const set of sets) {
    if (set.value.databases !== undefined) checks.list([...set.path, 'databases'], set.value.databases).forEach((db, i) => readDatabase(ctx, [...set.path, 'databases', i], db));
  }
  const serviceLists = sets.filter((s) => s.value.services !== undefined).map((s) => ({ path: [...s.path, 'services'], list: checks.list([...s.path, 'services'], s.value.services) }));
  for (const { path, list } of serviceLists) {
    list.forEach((raw, i) => {
      const service = checks.map([...path, i], raw, 'a service');
      if (service.type === 'keyvalue' || service.type === 'redis') ctx.keyValues.add(String(service.name));
    });
  }
  for (const { path, list } of serviceLists) list.forEach((raw, i) => readService(ctx, [...path, i], raw as Record<string, unknown>));

  const input: ProjectSpecInput = {
    ...(projectName !== undefined ? { name: projectName } : {}),
    environments: environmentList(envNames),
    shared: { variables: ctx.out.shared, environments: {} },
    services: ctx.out.services,
    databases: ctx.out.databases,
  };
  return finish(doc, input, warnings);
}

function readGroups(ctx: Context, path: PathSegment[], value: unknown): void {
  const { checks } = ctx;
  checks.list(path, value).forEach((raw, i) => {
    const at = [...path, i];
    const group = checks.map(at, raw, 'an environment group { name, envVars }');
    checks.knownKeys(at, group, ['name', 'envVars']);
    const name = checks.string([...at, 'name'], group.name, 'a group name');
    if (ctx.groups.has(name)) checks.fail([...at, 'name'], `the group '${name}' is already defined`);
    const variables: Variables = {};
    checks.list([...at, 'envVars'], group.envVars ?? []).forEach((entry, j) => {
      const entryPath = [...at, 'envVars', j];
      const e = checks.map(entryPath, entry, 'a variable { key, value }');
      for (const form of ['sync', 'fromDatabase', 'fromService', 'fromGroup']) {
        if (e[form] !== undefined) checks.fail([...entryPath, form], 'not allowed in an environment group (only value and generateValue are)', 'key');
      }
      const parsed = readEnvVar(ctx, entryPath, e);
      if (parsed) {
        // A generated value is one secret the whole group shares: a shared variable.
        if (typeof parsed.value === 'object' && parsed.value.generate) {
          const existing = ctx.out.shared[parsed.key];
          if (existing !== undefined) ctx.warnings.add(entryPath, `another group also generates ${parsed.key}; both use the one shared secret \${{shared.${parsed.key}}}`);
          ctx.out.shared[parsed.key] = parsed.value;
          variables[parsed.key] = `\${{shared.${parsed.key}}}`;
        } else variables[parsed.key] = parsed.value;
      }
    });
    ctx.groups.set(name, { path: at, variables });
  });
}

function readDatabase(ctx: Context, path: PathSegment[], raw: unknown): void {
  const { checks, warnings } = ctx;
  const db = checks.map(path, raw, 'a database { name, … }');
  checks.knownKeys(path, db, DATABASE_KEYS);
  const original = checks.string([...path, 'name'], db.name, 'a database name');
  const name = ctx.services.name(original, [...path, 'name']);
  if (ctx.out.databases[name] || ctx.out.services[name]) checks.fail([...path, 'name'], `'${original}' is already defined`);
  ctx.databases.add(original);
  const version = checks.optionalString([...path, 'postgresMajorVersion'], db.postgresMajorVersion, 'a major version such as "17"');
  ctx.out.databases[name] = { engine: 'postgres', ...(version !== undefined ? { version } : {}) };
  for (const key of Object.keys(db)) {
    if (key === 'name' || key === 'postgresMajorVersion') continue;
    const why =
      key === 'databaseName' || key === 'user'
        ? `Wharf names the database and its user; reference them as \${{${name}.PGDATABASE}} and \${{${name}.PGUSER}}`
        : key === 'ipAllowList'
          ? 'Wharf databases are reachable by the project only; ignored'
          : 'not supported yet; ignored';
    warnings.add([...path, key], why);
  }
}

function readService(ctx: Context, path: PathSegment[], service: Record<string, unknown>): void {
  const { checks, warnings } = ctx;
  checks.knownKeys(path, service, SERVICE_KEYS);
  const type = checks.oneOf([...path, 'type'], service.type, RENDER_TYPES);
  const original = checks.string([...path, 'name'], service.name, 'a service name');
  const name = ctx.services.name(original, [...path, 'name']);
  if (ctx.out.services[name] || ctx.out.databases[name]) checks.fail([...path, 'name'], `'${original}' is already defined`);
  const field = (key: string) => [...path, key];
  const str = (key: string) => checks.optionalString(field(key), service[key]);

  if (type === 'keyvalue' || type === 'redis') {
    ctx.out.databases[name] = { engine: 'redis' };
    for (const key of Object.keys(service)) {
      if (key === 'type' || key === 'name') continue;
      warnings.add(field(key), key === 'ipAllowList' ? 'Wharf databases are reachable by the project only; ignored' : 'Wharf runs Redis with its defaults; ignored');
    }
    return;
  }

  const runtimeKey = service.runtime !== undefined ? 'runtime' : service.env !== undefined ? 'env' : null;
  const runtime = runtimeKey ? checks.oneOf(field(runtimeKey), service[runtimeKey], NATIVE_RUNTIMES) : null;
  const out: ServiceInput = {};
  if (type === 'static' || runtime === 'static') out.kind = 'static';
  else if (type === 'pserv') {
    out.kind = 'web';
    warnings.add(field('type'), 'private service: Wharf also routes it publicly, like web; other services reach it privately at ${{' + name + '.RAILWAY_PRIVATE_DOMAIN}}');
  } else out.kind = type;
  // runtime: docker needs no builder setting: the Dockerfile is detected first on Wharf's docker
  // runtime, and on the process runtime another builder takes the folder when one recognises it.
  if (runtime === 'docker') {
    /* the Dockerfile builds */
  } else if (runtime === 'image') {
    // runtime: image with image.url: the prebuilt image (Wharf's `image` setting, docker runtime).
    const image = service.image === undefined ? undefined : checks.map(field('image'), service.image, 'a mapping { url }');
    const url = image ? checks.optionalString([...field('image'), 'url'], image.url) : undefined;
    if (url) out.image = url;
    else warnings.add(field(runtimeKey!), "runtime 'image' needs image.url; Wharf detects the builder from the source instead");
    for (const key of Object.keys(image ?? {})) if (key !== 'url') warnings.add([...field('image'), key], 'not supported yet; ignored');
  }
  else if (runtime && runtime !== 'node' && runtime !== 'static') warnings.add(field(runtimeKey!), `Wharf detects the builder from the source (Node.js, static sites, Procfile); runtime '${runtime}' is not detected yet`);

  const rootDir = str('rootDir');
  if (rootDir !== undefined) out.root = normaliseDir(rootDir);
  const buildCommand = str('buildCommand');
  if (buildCommand) out.buildCommand = buildCommand;
  const dockerfilePath = str('dockerfilePath');
  const dockerContext = str('dockerContext');
  const dockerCommand = str('dockerCommand');
  for (const [key, value] of [['dockerfilePath', dockerfilePath], ['dockerContext', dockerContext], ['dockerCommand', dockerCommand]] as const) {
    if (value !== undefined && runtime !== 'docker') warnings.add(field(key), `only a service with runtime: docker builds from a Dockerfile; ${key} ignored`);
  }
  if (runtime === 'docker') {
    if (dockerfilePath !== undefined) out.dockerfilePath = normaliseDir(dockerfilePath);
    if (dockerContext !== undefined) out.dockerContext = normaliseDir(dockerContext);
  }
  const startCommand = str('startCommand') ?? (runtime === 'docker' ? dockerCommand : undefined);
  if (startCommand) {
    if (out.kind === 'static') warnings.add(field('startCommand'), 'a static site has no start command; ignored');
    else out.startCommand = startCommand;
  }
  const preDeploy = str('preDeployCommand');
  if (preDeploy) out.preDeployCommand = preDeploy;
  const health = str('healthCheckPath');
  if (health !== undefined) {
    if (!health.startsWith('/')) checks.expected(field('healthCheckPath'), "a path starting with '/'", health);
    out.healthcheckPath = health;
  }
  const publish = str('staticPublishPath');
  if (publish !== undefined) {
    if (out.kind === 'static') out.staticDir = normaliseDir(publish);
    else warnings.add(field('staticPublishPath'), 'only static sites publish a folder; ignored');
  }
  const schedule = str('schedule');
  if (out.kind === 'cron') {
    if (!schedule) checks.fail(field('type'), "a cron job needs a schedule (e.g. schedule: '0 2 * * *')", 'key');
    out.schedule = schedule;
  } else if (schedule !== undefined) warnings.add(field('schedule'), `only cron jobs have a schedule; ignored for a ${type} service`);
  if (service.numInstances !== undefined) out.numReplicas = checks.int(field('numInstances'), service.numInstances, 1, 50);
  if (service.scaling !== undefined) {
    const scaling = checks.map(field('scaling'), service.scaling, 'a table { minInstances, maxInstances, targetCPUPercent, targetMemoryPercent }');
    const min = scaling.minInstances === undefined ? 1 : checks.int([...field('scaling'), 'minInstances'], scaling.minInstances, 1, 50);
    if (service.numInstances !== undefined) warnings.add(field('numInstances'), 'scaling wins over numInstances, as on Render');
    out.numReplicas = min;
    warnings.add(field('scaling'), `autoscaling is not supported; runs minInstances (${min}) replica${min === 1 ? '' : 's'}`);
  }
  if (service.plan !== undefined) Object.assign(out, readPlan(checks, warnings, field('plan'), service.plan) ?? {});
  if (service.disk !== undefined) {
    out.volumes = [readDisk(checks, warnings, field('disk'), service.disk)];
    if (Number(out.numReplicas ?? 1) > 1) warnings.add(field('disk'), 'Render runs a service with a disk as one instance; Wharf gives every replica the same volume');
  }
  if (service.maxShutdownDelaySeconds !== undefined) out.drainingSeconds = checks.int(field('maxShutdownDelaySeconds'), service.maxShutdownDelaySeconds, 1, 300);
  const domainsKey = service.domains !== undefined ? 'domains' : service.domain !== undefined ? 'domain' : null;
  if (domainsKey) {
    const raw = service[domainsKey];
    const list = Array.isArray(raw) ? raw : [raw];
    const domains = list.map((d, i) => checks.string(Array.isArray(raw) ? [...field(domainsKey), i] : field(domainsKey), d, 'a domain name'));
    if (domains.length > 0) out.domains = domains;
  }
  for (const [key, why] of Object.entries(SERVICE_UNSUPPORTED)) if (service[key] !== undefined) warnings.add(field(key), why);

  if (service.envVars !== undefined) {
    const variables = readServiceEnvVars(ctx, field('envVars'), service.envVars);
    if (Object.keys(variables).length > 0) out.variables = variables;
  }
  ctx.out.services[name] = out;
}

function readServiceEnvVars(ctx: Context, path: PathSegment[], value: unknown): Variables {
  const { checks, warnings } = ctx;
  const fromGroups: Variables = {};
  const local: Variables = {};
  checks.list(path, value).forEach((raw, i) => {
    const at = [...path, i];
    const entry = checks.map(at, raw, 'a variable { key, value } or { fromGroup }');
    if (entry.fromGroup !== undefined) {
      const others = Object.keys(entry).filter((k) => k !== 'fromGroup');
      if (others.length > 0) checks.fail([...at, others[0]!], 'a fromGroup entry has no other fields', 'key');
      const groupName = checks.string([...at, 'fromGroup'], entry.fromGroup, 'a group name');
      const group = ctx.groups.get(groupName);
      if (!group) warnings.add([...at, 'fromGroup'], `the group '${groupName}' is not defined in this file; not mapped`);
      else Object.assign(fromGroups, group.variables); // later groups win, as on Render
      return;
    }
    const parsed = readEnvVar(ctx, at, entry);
    if (parsed) local[parsed.key] = parsed.value;
  });
  return { ...fromGroups, ...local }; // service keys override group keys
}

/** One envVars entry (not fromGroup) → its key and Wharf variable. */
function readEnvVar(ctx: Context, path: PathSegment[], entry: Record<string, unknown>): { key: string; value: VariableSpec } | null {
  const { checks, warnings } = ctx;
  checks.knownKeys(path, entry, ENV_VAR_KEYS);
  const key = checks.string([...path, 'key'], entry.key, 'a variable name');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) checks.fail([...path, 'key'], `'${key}' is not a variable name: use letters, digits and underscores, not starting with a digit`);
  const forms = ['value', 'generateValue', 'sync', 'fromDatabase', 'fromService'].filter((f) => entry[f] !== undefined);
  if (forms.length === 0) checks.fail(path, 'must be from a group or have a key and a value (value, generateValue, sync, fromDatabase or fromService)');
  if (forms.length > 1) checks.fail([...path, forms[1]!], `cannot specify both ${forms[0]} and ${forms[1]}`, 'key');
  if (entry.previewValue !== undefined) warnings.add([...path, 'previewValue'], 'preview environments are not supported yet; ignored');
  const form = forms[0]!;
  const at = [...path, form];
  switch (form) {
    case 'value':
      return { key, value: checks.string(at, entry.value, 'a string') };
    case 'generateValue':
      if (entry.generateValue !== true) {
        if (entry.generateValue === false) return warnings.add(at, 'generateValue: false sets nothing; not mapped'), null;
        checks.expected(at, 'true', entry.generateValue);
      }
      return { key, value: { generate: 'secret', secret: true } };
    case 'sync':
      if (entry.sync !== false) checks.expected(at, 'false (the dashboard asks for the value)', entry.sync);
      return { key, value: { required: true, secret: true } };
    case 'fromDatabase': {
      const from = checks.map(at, entry.fromDatabase, 'a table { name, property }');
      checks.knownKeys(at, from, ['name', 'property']);
      const dbName = checks.string([...at, 'name'], from.name, 'a database name');
      const property = checks.oneOf([...at, 'property'], from.property, Object.keys(DATABASE_PROPERTIES));
      if (!ctx.databases.has(dbName)) warnings.add([...at, 'name'], `the database '${dbName}' is not defined in this file; the reference resolves only once it exists in the project`);
      return { key, value: ref(ctx.services.ref(dbName), DATABASE_PROPERTIES[property]!) };
    }
    default: {
      const from = checks.map(at, entry.fromService, 'a table { name, type, property or envVarKey }');
      checks.knownKeys(at, from, ['name', 'type', 'property', 'envVarKey']);
      const serviceName = checks.string([...at, 'name'], from.name, 'a service name');
      const type = checks.oneOf([...at, 'type'], from.type, ['web', 'pserv', 'worker', 'cron', 'keyvalue', 'redis', 'static'] as const);
      const target = ctx.services.ref(serviceName);
      if (from.envVarKey !== undefined) {
        if (from.property !== undefined) checks.fail([...at, 'property'], 'cannot specify both property and envVarKey', 'key');
        return { key, value: ref(target, checks.string([...at, 'envVarKey'], from.envVarKey, 'a variable name')) };
      }
      const keyValue = type === 'keyvalue' || type === 'redis';
      const properties = keyValue ? (['connectionString', 'host', 'port', 'hostport'] as const) : (['host', 'port', 'hostport'] as const);
      const property = checks.oneOf([...at, 'property'], from.property, properties);
      if (keyValue && !ctx.keyValues.has(serviceName)) warnings.add([...at, 'name'], `the Key Value instance '${serviceName}' is not defined in this file; the reference resolves only once it exists in the project`);
      const [host, port] = keyValue ? ['REDISHOST', 'REDISPORT'] : ['RAILWAY_PRIVATE_DOMAIN', 'PORT'];
      const value =
        property === 'connectionString' ? ref(target, 'REDIS_URL') : property === 'host' ? ref(target, host) : property === 'port' ? ref(target, port) : `${ref(target, host)}:${ref(target, port)}`;
      return { key, value };
    }
  }
}

function ref(name: string, key: string): string {
  return `\${{${name}.${key}}}`;
}

function normaliseDir(dir: string): string {
  const trimmed = dir.trim().replace(/^\.\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '.' : trimmed;
}

