import type { DatabaseSpec, ImportResult, ProjectSpecInput, VariableSpec } from '../../../core/project-spec.js';
import type { RestartPolicy } from '../../../core/settings.js';
import { Warnings, isRecord, type PathSegment } from '../source.js';
import { readYaml } from '../yaml-source.js';
import { Checks, finish, Names, type ImportOptions } from './common.js';
import { checkDependencyCycle, cpus, memory, readDependsOn, readResources, readTopVolumes, readVolumes } from './compose-placement.js';

// docker-compose.yml / compose.yaml → ProjectSpec. Services with a build become Wharf
// services (a service with `ports` is web, one without a worker); image-only Postgres,
// Redis, MySQL/MariaDB and Mongo become databases. Every other key is a warning.
//
// Ports: Wharf gives each replica its own $PORT and routes <service>-<environment>-<project>.<base>
// to it, so a compose port mapping is not copied (no PORT variable): the warning tells the
// user to make the app listen on $PORT.

type ServiceInput = NonNullable<ProjectSpecInput['services']>[string];
const HINT = 'See docs/config-as-code.md for how docker-compose.yml maps onto Wharf (Compose: https://docs.docker.com/reference/compose-file/).';

const DATABASE_IMAGES: Record<string, DatabaseSpec['engine']> = { postgres: 'postgres', postgis: 'postgres', redis: 'redis', mysql: 'mysql', mariadb: 'mysql', mongo: 'mongo' };
const URL_VARIABLE: Record<DatabaseSpec['engine'], string> = { postgres: 'DATABASE_URL', redis: 'REDIS_URL', mysql: 'MYSQL_URL', mongo: 'MONGO_URL' };
const MAPPED = ['build', 'image', 'command', 'environment', 'healthcheck', 'ports', 'deploy', 'restart', 'scale', 'volumes', 'depends_on', 'mem_limit', 'cpus'];
const WHY: Record<string, string> = {
  env_file: 'env files are not read; set those variables in wharf.toml or with `wharf variables set`',
  networks: 'services of a project reach each other by ${{service.RAILWAY_PRIVATE_DOMAIN}}; ignored',
  expose: 'Wharf assigns $PORT; ignored',
  entrypoint: 'not supported yet; ignored (set command, or the ENTRYPOINT in the Dockerfile)',
  container_name: 'Wharf names replicas itself; ignored',
  profiles: 'every service in wharf.toml is deployed; profiles ignored',
  links: 'services reach each other by ${{service.RAILWAY_PRIVATE_DOMAIN}}; ignored',
  working_dir: 'commands run in the service root; ignored',
  labels: 'not supported; ignored',
};

export function importCompose(file: string, text: string, _opts: ImportOptions = {}): ImportResult {
  const doc = readYaml(file, text);
  const checks = new Checks(doc, HINT);
  const root = checks.map([], doc.value ?? {}, 'a Compose file with services');
  const warnings = new Warnings(doc);
  const names = new Names(warnings, 'service');
  const services: Record<string, ServiceInput> = {};
  const databases: Record<string, DatabaseSpec> = {};
  let projectName: string | undefined;
  // Top-level named volumes (null when declared without options), and depends_on as written.
  const namedVolumes = new Set<string>();
  const dependsOn = new Map<string, string[]>();

  for (const key of Object.keys(root)) {
    if (key === 'services' || key.startsWith('x-')) continue; // x-*: extension fields, used through YAML anchors
    if (key === 'name') projectName = new Names(warnings, 'project').name(checks.string(['name'], root.name, 'a project name'), ['name']);
    else if (key === 'version') warnings.add(['version'], 'obsolete in Compose; ignored');
    else if (key === 'volumes') readTopVolumes(checks, warnings, root.volumes, namedVolumes);
    else warnings.add([key], `top-level ${key} are not supported yet; ignored`);
  }
  const composeServices = checks.map(['services'], root.services, 'a mapping of services');
  const originals = Object.keys(composeServices);
  // What to reference instead of a Compose host name: a database's URL, a service's private domain.
  const hosts: Record<string, string> = {};
  for (const original of originals) {
    const s = composeServices[original];
    const image = isRecord(s) && s.build === undefined && typeof s.image === 'string' ? databaseEngine(s.image) : undefined;
    hosts[original] = `${names.ref(original)}.${image ? URL_VARIABLE[image] : 'RAILWAY_PRIVATE_DOMAIN'}`;
  }

  for (const original of originals) {
    const path = ['services', original];
    const service = checks.map(path, composeServices[original] ?? {}, 'a service definition');
    const name = names.name(original, path);
    const field = (key: string): PathSegment[] => [...path, key];
    const image = checks.optionalString(field('image'), service.image, 'an image name');

    if (service.build === undefined && !image) {
      warnings.add(path, `service '${original}' has neither build nor image; not mapped`);
      continue;
    }
    const engine = service.build === undefined ? databaseEngine(image!) : undefined;
    if (engine) {
      const version = /:(\d+(?:\.\d+)*)/.exec(image!)?.[1];
      databases[name] = { engine, ...(version ? { version } : {}) };
      for (const key of Object.keys(service)) {
        if (key !== 'image') warnings.add(field(key), `Wharf provisions the ${engine} database and its credentials (\${{${name}.${URL_VARIABLE[engine]}}}); ignored`);
      }
      continue;
    }

    const out: ServiceInput = { kind: service.ports !== undefined ? 'web' : 'worker' };
    const build = service.build;
    // An image-only service runs that image (the docker runtime pulls it when missing).
    if (build === undefined) {
      out.image = image!;
      warnings.add(field('image'), 'a prebuilt image runs on the docker runtime only (runtime = "docker" for the project, or a server running the docker runtime)');
    }
    else if (typeof build === 'string') out.root = normaliseDir(build);
    else {
      const b = checks.map(field('build'), build, 'a folder or a table { context, dockerfile }');
      if (b.context !== undefined) out.root = normaliseDir(checks.string([...field('build'), 'context'], b.context, 'a folder'));
      // The Dockerfile is relative to the context, which is the service's root here.
      if (b.dockerfile !== undefined) out.dockerfilePath = normaliseDir(checks.string([...field('build'), 'dockerfile'], b.dockerfile, 'a Dockerfile path'));
      if (b.target !== undefined) out.dockerTarget = checks.string([...field('build'), 'target'], b.target, 'a stage name');
      for (const key of Object.keys(b)) if (!['context', 'dockerfile', 'target'].includes(key)) warnings.add([...field('build'), key], 'not supported yet; ignored');
    }
    // A service with a build builds its Dockerfile on the docker runtime; on the process runtime
    // Wharf detects a Node.js, static or Procfile build of the folder instead (detect.ts).
    if (image && build !== undefined) warnings.add(field('image'), 'the name of the built image; ignored');

    if (service.command !== undefined) {
      const command = service.command;
      if (typeof command === 'string') out.startCommand = command;
      else out.startCommand = checks.list(field('command'), command, 'a command string or list').map((part, i) => shellQuote(checks.string([...field('command'), i], part))).join(' ');
    }
    const variables = readEnvironment(checks, warnings, field('environment'), service.environment, hosts);
    if (variables && Object.keys(variables).length > 0) out.variables = variables;
    if (service.healthcheck !== undefined) readHealthcheck(checks, warnings, field('healthcheck'), service.healthcheck, out);
    if (service.ports !== undefined) {
      const ports = checks.list(field('ports'), service.ports, 'a list of ports');
      const container = ports.map(containerPort).filter((p): p is string => p !== null);
      warnings.add(field('ports'), `Wharf routes ${name}-<environment>.<base> to the $PORT it gives each replica; make the app listen on $PORT${container.length > 0 ? ` (it listens on ${container.join(', ')} here)` : ''}`);
    }
    if (service.deploy !== undefined) {
      const deploy = checks.map(field('deploy'), service.deploy, 'a table');
      for (const key of Object.keys(deploy)) {
        if (key === 'replicas') out.numReplicas = checks.int([...field('deploy'), 'replicas'], deploy.replicas, 1, 50);
        else if (key === 'resources') readResources(checks, warnings, [...field('deploy'), 'resources'], deploy.resources, out);
        else warnings.add([...field('deploy'), key], 'not supported yet; ignored');
      }
    }
    if (service.mem_limit !== undefined && out.memoryLimit === undefined) out.memoryLimit = memory(checks, field('mem_limit'), service.mem_limit);
    if (service.cpus !== undefined && out.cpuLimit === undefined) out.cpuLimit = cpus(checks, field('cpus'), service.cpus);
    if (service.volumes !== undefined) {
      const volumes = readVolumes(checks, warnings, field('volumes'), service.volumes, namedVolumes);
      if (volumes.length > 0) out.volumes = volumes;
    }
    if (service.depends_on !== undefined) {
      const deps = readDependsOn(checks, warnings, field('depends_on'), service.depends_on, originals);
      dependsOn.set(original, deps);
      const onServices = deps.filter((d) => !databaseOnly(composeServices[d])).map((d) => names.ref(d));
      if (onServices.length > 0) out.dependsOn = onServices;
    }
    if (service.scale !== undefined && out.numReplicas === undefined) out.numReplicas = checks.int(field('scale'), service.scale, 1, 50);
    if (service.restart !== undefined) {
      const restart = checks.string(field('restart'), service.restart, 'no, always, on-failure or unless-stopped');
      const policy = restartPolicy(restart);
      if (!policy) checks.oneOf(field('restart'), restart, ['no', 'always', 'on-failure', 'unless-stopped']);
      out.restartPolicyType = policy!.type;
      if (policy!.retries !== undefined) out.restartPolicyMaxRetries = policy!.retries;
    }
    for (const key of Object.keys(service)) {
      if (!MAPPED.includes(key)) warnings.add(field(key), WHY[key] ?? 'not supported yet; ignored');
    }
    services[name] = out;
  }
  checkDependencyCycle(checks, dependsOn);
  return finish(doc, { ...(projectName ? { name: projectName } : {}), services, databases }, warnings);
}

/** An image-only Postgres/Redis/MySQL/Mongo service, which becomes a managed database. */
function databaseOnly(service: unknown): boolean {
  return isRecord(service) && service.build === undefined && typeof service.image === 'string' && databaseEngine(service.image) !== undefined;
}

function databaseEngine(image: string): DatabaseSpec['engine'] | undefined {
  const repo = image.split('@')[0]!.replace(/:[^/:]*$/, '');
  const last = repo.split('/').pop()!;
  return DATABASE_IMAGES[last];
}

function readEnvironment(checks: Checks, warnings: Warnings, path: PathSegment[], value: unknown, services: Record<string, string>): Record<string, VariableSpec> | undefined {
  if (value === undefined || value === null) return undefined;
  const entries: [string, unknown, PathSegment[]][] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const text = checks.string([...path, i], item, 'KEY=value');
      const eq = text.indexOf('=');
      entries.push(eq === -1 ? [text, null, [...path, i]] : [text.slice(0, eq), text.slice(eq + 1), [...path, i]]);
    });
  } else {
    const map = checks.map(path, value, 'a list of KEY=value or a mapping');
    for (const [k, v] of Object.entries(map)) entries.push([k, v, [...path, k]]);
  }
  const variables: Record<string, VariableSpec> = {};
  for (const [key, raw, at] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) checks.fail(at, `'${key}' is not a variable name: use letters, digits and underscores, not starting with a digit`);
    if (raw === null || raw === undefined) {
      variables[key] = { required: true };
      warnings.add(at, 'takes its value from the shell running Compose; set it in Wharf before deploying');
      continue;
    }
    if (isRecord(raw) || Array.isArray(raw)) checks.expected(at, 'a string', raw);
    const text = String(raw);
    variables[key] = text;
    if (/\$\{?[A-Za-z_]/.test(text.replace(/\$\$/g, ''))) warnings.add(at, 'Compose interpolation (${VAR}) is left as is; Wharf references look like ${{shared.VAR}} or ${{service.VAR}}');
    const host = Object.keys(services).find((s) => new RegExp(`(//|@)${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:|/|$)`).test(text));
    if (host) warnings.add(at, `refers to the Compose service '${host}' by host name; in Wharf use the reference \${{${services[host]}}}`);
  }
  return variables;
}

function readHealthcheck(checks: Checks, warnings: Warnings, path: PathSegment[], value: unknown, out: ServiceInput): void {
  const health = checks.map(path, value, 'a table { test, interval, timeout, retries }');
  const test = health.test;
  const text = Array.isArray(test) ? test.map(String).join(' ') : typeof test === 'string' ? test : '';
  const url = /https?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::\d+)?(\/[^\s"'|;&]*)?/.exec(text);
  for (const key of Object.keys(health)) {
    const at = [...path, key];
    if (key === 'test') {
      if (url) out.healthcheckPath = url[1] || '/';
      else warnings.add(at, 'only an HTTP check of a localhost URL maps onto healthcheckPath; ignored');
    } else if (key === 'disable') {
      if (health.disable === true && url) delete out.healthcheckPath;
    } else if (url && (key === 'interval' || key === 'timeout')) {
      const seconds = duration(health[key]);
      if (seconds === null) warnings.add(at, `'${String(health[key])}' is not a duration Wharf reads (e.g. 30s, 1m30s); ignored`);
      else if (key === 'interval') out.livenessIntervalSeconds = Math.min(3600, Math.max(0.2, seconds));
      else out.livenessTimeoutSeconds = Math.min(600, Math.max(0.1, seconds));
    } else if (url && key === 'retries') out.livenessFailureThreshold = checks.int(at, health.retries, 1, 100);
    else warnings.add(at, 'not supported yet; ignored');
  }
}

/** `1m30s` → 90; null when not a Compose duration. */
export function duration(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || !/^(\d+(\.\d+)?(h|m|s|ms|us))+$/.test(value.trim())) return null;
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 };
  let total = 0;
  for (const [, n, , u] of value.trim().matchAll(/(\d+(\.\d+)?)(h|ms|us|m|s)/g)) total += Number(n) * unit[u!]!;
  return total;
}

function containerPort(port: unknown): string | null {
  if (typeof port === 'number') return String(port);
  if (typeof port === 'string') return /(\d+)(\/\w+)?$/.exec(port)?.[1] ?? null;
  if (isRecord(port) && port.target !== undefined) return String(port.target);
  return null;
}

function restartPolicy(restart: string): { type: RestartPolicy; retries?: number } | null {
  if (restart === 'always' || restart === 'unless-stopped') return { type: 'ALWAYS' };
  if (restart === 'no') return { type: 'NEVER' };
  const onFailure = /^on-failure(?::(\d+))?$/.exec(restart);
  if (onFailure) return { type: 'ON_FAILURE', ...(onFailure[1] ? { retries: Math.min(1000, Number(onFailure[1])) } : {}) };
  return null;
}

/** POSIX shell quoting: a word that needs it goes in single quotes. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function normaliseDir(dir: string): string {
  const trimmed = dir.trim().replace(/^\.\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '.' : trimmed;
}
