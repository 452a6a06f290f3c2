import { MIN_MEMORY_BYTES, parseCpus } from '../../core/resource-sizes.js';

// Railway's `deploy.limitOverride: { containers: { cpu, memoryBytes, diskBytes } }` (REFERENCE.md
// §1.3): the per-replica caps, as cpuLimit/memoryLimit settings. Returns what it maps and, per
// field it could not, why (the callers turn those into warnings or located errors).

export interface LimitOverride {
  settings: { cpuLimit?: number; memoryLimit?: number };
  problems: Array<{ path: string[]; message: string }>;
}

export function readLimitOverride(value: unknown): LimitOverride {
  const out: LimitOverride = { settings: {}, problems: [] };
  const containers = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).containers : undefined;
  if (typeof containers !== 'object' || containers === null) {
    out.problems.push({ path: [], message: 'expected { containers: { cpu, memoryBytes } }' });
    return out;
  }
  for (const [key, v] of Object.entries(containers as Record<string, unknown>)) {
    if (key === 'cpu') {
      const cpus = parseCpus(v);
      if (cpus === null) out.problems.push({ path: ['containers', 'cpu'], message: 'expected a number of vCPUs above 0' });
      else out.settings.cpuLimit = cpus;
    } else if (key === 'memoryBytes') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < MIN_MEMORY_BYTES) out.problems.push({ path: ['containers', 'memoryBytes'], message: `expected a whole number of bytes, at least ${MIN_MEMORY_BYTES}` });
      else out.settings.memoryLimit = v;
    } else out.problems.push({ path: ['containers', key], message: 'not supported; ignored' });
  }
  return out;
}
