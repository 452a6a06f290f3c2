// Memory sizes and CPU counts as people write them in wharf.toml, Compose and Render plans:
// `512M`, `1Gi`, `1.5GB`, `268435456` (bytes); `0.5`, `"2"` (cores). Pure: both the settings
// schema (which reports a bad value at its line) and placementOf use them.

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  ki: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Below this a replica cannot even start node; Docker refuses less than 6 MiB. */
export const MIN_MEMORY_BYTES = 6 * 1024 ** 2;
export const MAX_CPUS = 1024;

/**
 * Bytes of a size, or null when it is not one. Units are binary whatever their spelling
 * (Compose and Docker read `512m` and `512MB` as 512 MiB; Kubernetes' `Mi` is the same).
 */
export function parseMemorySize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!match) return null;
  const unit = UNITS[match[2]!.toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Math.round(Number(match[1]) * unit);
  return bytes > 0 ? bytes : null;
}

/** Fractions of a core (`0.5`, `"2"`), or null. */
export function parseCpus(value: unknown): number | null {
  const n = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 && n <= MAX_CPUS ? n : null;
}

/** Why a memory size was refused, for a located error. */
export function memorySizeProblem(value: unknown): string | null {
  const bytes = parseMemorySize(value);
  if (bytes === null) return `'${String(value)}' is not a memory size: use e.g. 512M, 1Gi, 1.5GB or a number of bytes`;
  if (bytes < MIN_MEMORY_BYTES) return `${String(value)} is below the smallest memory limit, 6M`;
  return null;
}

/** 536870912 → "512 MiB", for listings and messages. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${i === 0 ? value : Number(value.toFixed(value < 10 ? 1 : 0))} ${units[i]}`;
}
