import { NAME_PATTERN, suggestName } from '../../../core/names.js';
import type { ProjectSpecInput } from '../../../core/project-spec.js';
import { memorySizeProblem, parseCpus } from '../../../core/resource-sizes.js';
import type { PathSegment, Warnings } from '../source.js';
import type { Checks } from './common.js';

// The parts of a Compose service that say where it runs rather than what: named volumes,
// CPU and memory limits, and depends_on (the order of a stack's deploys). docs/volumes.md and
// docs/config-as-code.md describe the mapping.

type ServiceInput = NonNullable<ProjectSpecInput['services']>[string];
type VolumeInput = { name: string; mountPath: string };

/** Top-level `volumes:`: the names services may mount; driver options do not apply to Wharf. */
export function readTopVolumes(checks: Checks, warnings: Warnings, value: unknown, into: Set<string>): void {
  if (value === null || value === undefined) return;
  const map = checks.map(['volumes'], value, 'a mapping of named volumes');
  for (const [name, options] of Object.entries(map)) {
    into.add(name);
    if (options === null || options === undefined) continue;
    const opts = checks.map(['volumes', name], options, 'a table of volume options (or nothing)');
    for (const key of Object.keys(opts)) warnings.add(['volumes', name, key], 'Wharf keeps each volume itself (a folder, or a Docker volume it names); ignored');
  }
}

/** A service's `volumes:` → its Wharf volumes: named volumes only (bind mounts reach the host). */
export function readVolumes(checks: Checks, warnings: Warnings, path: PathSegment[], value: unknown, declared: ReadonlySet<string>): VolumeInput[] {
  const list = checks.list(path, value, 'a list of volumes');
  const out: VolumeInput[] = [];
  list.forEach((item, i) => {
    const at = [...path, i];
    let source: string | undefined;
    let target: string;
    let type = 'volume';
    if (typeof item === 'string') {
      const parts = item.split(':');
      if (parts.length === 1) [target] = parts as [string];
      else [source, target] = parts as [string, string];
      if (parts.length > 2 && !/^(ro|rw|z|Z|ro,z|ro,Z|rw,z|rw,Z)$/.test(parts.slice(2).join(':'))) checks.fail(at, `'${item}' is not a volume: use NAME:/path or NAME:/path:ro`);
      if (source !== undefined && /^[./~]/.test(source)) type = 'bind';
      if (parts[2]?.startsWith('ro')) warnings.add(at, 'read-only mounts are not supported; mounted read-write');
    } else {
      const v = checks.map(at, item, 'NAME:/path or a table { type, source, target }');
      type = v.type === undefined ? 'volume' : checks.oneOf([...at, 'type'], v.type, ['volume', 'bind', 'tmpfs', 'npipe', 'cluster', 'image']);
      source = checks.optionalString([...at, 'source'], v.source, 'a volume name');
      target = checks.string([...at, 'target'], v.target, 'a path in the container');
      for (const key of Object.keys(v)) if (!['type', 'source', 'target', 'read_only'].includes(key)) warnings.add([...at, key], 'not supported; ignored');
      if (v.read_only === true) warnings.add([...at, 'read_only'], 'read-only mounts are not supported; mounted read-write');
    }
    if (type !== 'volume') return warnings.add(at, `${type} mounts are not supported (a bind mount would reach the host's files); ignored — use a named volume`);
    if (source === undefined) return warnings.add(at, 'anonymous volumes are not kept across deploys in Wharf; ignored — give it a name');
    if (!declared.has(source)) checks.fail(at, `refers to the volume '${source}', which the top-level volumes: does not declare`);
    if (!target.startsWith('/') || target === '/') checks.fail(at, `'${target}' is not a folder path in the container: use an absolute path such as /data`);
    const name = NAME_PATTERN.test(source) ? source : suggestName(source);
    if (name !== source) warnings.add(at, `volume name '${source}' is not a Wharf name; imported as '${name}'`);
    out.push({ name, mountPath: target.replace(/\/+$/, '') });
  });
  return out;
}

/** `deploy.resources`: limits map onto memoryLimit/cpuLimit; reservations do not apply. */
export function readResources(checks: Checks, warnings: Warnings, path: PathSegment[], value: unknown, out: ServiceInput): void {
  const resources = checks.map(path, value, 'a table { limits, reservations }');
  for (const key of Object.keys(resources)) {
    if (key !== 'limits') {
      warnings.add([...path, key], 'Wharf sets limits only; ignored');
      continue;
    }
    const limits = checks.map([...path, 'limits'], resources.limits, 'a table { cpus, memory }');
    for (const [k, v] of Object.entries(limits)) {
      if (k === 'memory') out.memoryLimit = memory(checks, [...path, 'limits', k], v);
      else if (k === 'cpus') out.cpuLimit = cpus(checks, [...path, 'limits', k], v);
      else warnings.add([...path, 'limits', k], 'not supported; ignored');
    }
  }
}

export function memory(checks: Checks, path: PathSegment[], value: unknown): string | number {
  const problem = memorySizeProblem(value);
  if (problem) checks.fail(path, problem);
  return value as string | number;
}

export function cpus(checks: Checks, path: PathSegment[], value: unknown): number {
  const n = parseCpus(value);
  if (n === null) checks.expected(path, 'a number of CPUs above 0, e.g. 0.5', value);
  return n!;
}

/** depends_on as a list or a mapping with conditions; returns the Compose names depended on. */
export function readDependsOn(checks: Checks, warnings: Warnings, path: PathSegment[], value: unknown, services: readonly string[]): string[] {
  const entries: Array<[string, PathSegment[], unknown]> = [];
  if (Array.isArray(value)) value.forEach((v, i) => entries.push([checks.string([...path, i], v, 'a service name'), [...path, i], undefined]));
  else for (const [k, v] of Object.entries(checks.map(path, value, 'a list of services or a mapping { service: { condition } }'))) entries.push([k, [...path, k], v]);
  for (const [dep, at, options] of entries) {
    if (!services.includes(dep)) checks.fail(at, `'${dep}' is not a service of this file`, Array.isArray(value) ? 'value' : 'key');
    if (options === undefined || options === null) continue;
    const opts = checks.map(at, options, 'a table { condition, required, restart }');
    for (const key of Object.keys(opts)) {
      if (key === 'condition') {
        const condition = checks.oneOf([...at, 'condition'], opts.condition, ['service_started', 'service_healthy', 'service_completed_successfully']);
        // Wharf waits for a dependency's deployment to settle, which is health-gated already.
        if (condition === 'service_completed_successfully') warnings.add([...at, 'condition'], 'Wharf waits for the deploy of the service to finish, not for it to exit; deploys in that order');
      } else warnings.add([...at, key], 'not supported; ignored');
    }
  }
  return entries.map(([dep]) => dep);
}

/** A cycle of depends_on can never start in Compose either: an error at the first edge of it. */
export function checkDependencyCycle(checks: Checks, deps: ReadonlyMap<string, readonly string[]>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (service: string): void => {
    state.set(service, 'visiting');
    trail.push(service);
    for (const dep of deps.get(service) ?? []) {
      if (state.get(dep) === 'visiting') {
        const cycle = [...trail.slice(trail.indexOf(dep)), dep];
        checks.fail(['services', service, 'depends_on'], `depends_on makes a cycle: ${cycle.join(' → ')}`);
      }
      if (!state.has(dep)) visit(dep);
    }
    trail.pop();
    state.set(service, 'done');
  };
  for (const service of [...deps.keys()].sort()) if (!state.has(service)) visit(service);
}

