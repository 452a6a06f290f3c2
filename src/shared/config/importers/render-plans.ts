import { NAME_PATTERN, suggestName } from '../../../core/names.js';
import type { PathSegment, Warnings } from '../source.js';
import type { Checks } from './common.js';

// render.yaml's `plan:` and `disk:` for a service: a plan is an instance size, which becomes
// memoryLimit/cpuLimit (REFERENCE.md §5: instance sizes); a disk becomes a volume.

/** Render's instance sizes: RAM and CPUs per instance. */
export const RENDER_PLANS: Readonly<Record<string, { memoryLimit: string; cpuLimit: number }>> = {
  free: { memoryLimit: '512Mi', cpuLimit: 0.1 },
  starter: { memoryLimit: '512Mi', cpuLimit: 0.5 },
  standard: { memoryLimit: '2Gi', cpuLimit: 1 },
  pro: { memoryLimit: '4Gi', cpuLimit: 2 },
  pro_plus: { memoryLimit: '8Gi', cpuLimit: 4 },
  pro_max: { memoryLimit: '16Gi', cpuLimit: 4 },
  pro_ultra: { memoryLimit: '32Gi', cpuLimit: 8 },
};

export function readPlan(checks: Checks, warnings: Warnings, path: PathSegment[], value: unknown): { memoryLimit: string; cpuLimit: number } | null {
  const given = checks.string(path, value, 'a plan such as starter or standard');
  const id = given.trim().toLowerCase().replace(/[\s-]+/g, '_');
  const plan = RENDER_PLANS[id];
  if (!plan) {
    warnings.add(path, `plan '${given}' has no size Wharf knows (${Object.keys(RENDER_PLANS).join(', ')}); no limits set`);
    return null;
  }
  return plan;
}

export function readDisk(checks: Checks, warnings: Warnings, path: PathSegment[], value: unknown): { name: string; mountPath: string; sizeGB?: number } {
  const disk = checks.map(path, value, 'a disk { name, mountPath, sizeGB }');
  checks.knownKeys(path, disk, ['name', 'mountPath', 'sizeGB']);
  const original = checks.string([...path, 'name'], disk.name, 'a disk name');
  const name = NAME_PATTERN.test(original) ? original : suggestName(original);
  if (name !== original) warnings.add([...path, 'name'], `disk name '${original}' is not a Wharf name; imported as '${name}'`);
  const mountPath = checks.string([...path, 'mountPath'], disk.mountPath, 'an absolute path such as /var/data');
  if (!mountPath.startsWith('/') || mountPath === '/') checks.expected([...path, 'mountPath'], 'an absolute path such as /var/data', mountPath);
  let sizeGB: number | undefined;
  if (disk.sizeGB !== undefined) {
    const n = typeof disk.sizeGB === 'string' ? Number(disk.sizeGB) : disk.sizeGB;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) checks.expected([...path, 'sizeGB'], 'a size in GB above 0', disk.sizeGB);
    sizeGB = n as number;
    warnings.add([...path, 'sizeGB'], 'recorded and shown by `wharf volume list`; Wharf does not cap a volume\'s size');
  }
  return { name, mountPath: mountPath.replace(/\/+$/, ''), ...(sizeGB !== undefined ? { sizeGB } : {}) };
}
