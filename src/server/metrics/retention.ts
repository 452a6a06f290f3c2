import { WharfError } from '../../core/errors.js';

// How long points of each resolution are kept. WHARF_METRICS_RETENTION overrides any of them:
// "10s=24h,1m=7d,1h=90d" (durations in s, m, h, d).

export const RESOLUTIONS = [10, 60, 3600] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export type Retention = Record<Resolution, number>;

export const DEFAULT_RETENTION: Retention = { 10: 24 * 3600e3, 60: 7 * 86400e3, 3600: 90 * 86400e3 };

const UNIT_MS = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 } as const;
const RESOLUTION_NAMES: Record<string, Resolution> = { '10s': 10, '1m': 60, '60s': 60, '1h': 3600, '3600s': 3600 };

export function parseDurationMs(value: string): number | null {
  const m = /^(\d+)(s|m|h|d)$/.exec(value.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : null;
}

export function parseRetention(raw: string | undefined): Retention {
  const retention = { ...DEFAULT_RETENTION };
  if (raw === undefined || raw.trim() === '') return retention;
  for (const part of raw.split(',')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    const resolution = key === undefined ? undefined : RESOLUTION_NAMES[key];
    const ms = value === undefined ? null : parseDurationMs(value);
    if (resolution === undefined || ms === null || ms <= 0) {
      throw new WharfError('BAD_REQUEST', `WHARF_METRICS_RETENTION: cannot read '${part}'`, {
        hint: 'Use e.g. WHARF_METRICS_RETENTION=10s=24h,1m=7d,1h=90d (any subset).',
      });
    }
    retention[resolution] = ms;
  }
  return retention;
}
