import { z } from 'zod';
import { RESTART_POLICIES } from '../../core/settings.js';

// Railway's config-as-code schema (REFERENCE.md §1.1–1.3): the fields Wharf maps onto
// ServiceSettings, and the fields it knows but does not support yet (warned about).

export const RAILWAY_BUILDERS = ['RAILPACK', 'NIXPACKS', 'HEROKU', 'PAKETO', 'DOCKERFILE'] as const;
const WHARF_BUILDERS = ['AUTO', 'NODE', 'STATIC', 'PROCFILE', 'COMMANDS'] as const; // DOCKERFILE is Railway's name too

export const UNSUPPORTED = {
  build: ['watchPatterns', 'nixpacksConfigPath', 'nixpacksPlan', 'nixpacksVersion', 'railpackVersion', 'buildEnvironment'],
  deploy: [
    'sleepApplication',
    'runtime',
    'registryCredentials',
    'region',
    'multiRegionConfig',
    'requiredMountPath',
    'ipv6EgressEnabled',
    'useLegacyStacker',
  ],
} as const;

/** What each supported field expects, in words, for error messages. */
export const EXPECTED: Record<string, string> = {
  builder: `one of ${[...RAILWAY_BUILDERS, ...WHARF_BUILDERS.slice(1)].join(', ')}`,
  buildCommand: 'a command string',
  dockerfilePath: 'a path to a Dockerfile inside the service, e.g. "Dockerfile.worker"',
  startCommand: 'a command string',
  healthcheckPath: "a path starting with '/'",
  healthcheckTimeout: 'a whole number of seconds from 1 to 3600',
  restartPolicyType: `one of ${RESTART_POLICIES.join(', ')}`,
  restartPolicyMaxRetries: 'a whole number from 0 to 1000',
  numReplicas: 'a whole number from 1 to 50',
  overlapSeconds: 'a whole number of seconds from 0 to 3600',
  drainingSeconds: 'a whole number of seconds from 0 to 3600',
  preDeployCommand: 'a command string or a list of them',
  preDeployTimeoutSeconds: 'a whole number of seconds from 1 to 86400',
  cronSchedule: 'a 5-field cron expression in UTC, e.g. "0 2 * * *"',
  '': 'a table with build, deploy and environments',
  build: 'a table of build settings',
  deploy: 'a table of deploy settings',
  environments: 'a table of environments, each with build and/or deploy',
};

const upper = (v: unknown) => (typeof v === 'string' ? v.trim().toUpperCase() : v);
// Railway's own examples write numbers as strings ("60"): accept those.
const numeric = (v: unknown) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v);
const int = (min: number, max: number) => z.preprocess(numeric, z.number().int().min(min).max(max)).nullable().optional();
const command = z.string().trim().min(1).nullable().optional();
const unsupported = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, z.unknown().optional()]));

export const railwayBuildSchema = z.strictObject({
  builder: z.preprocess(upper, z.enum([...RAILWAY_BUILDERS, ...WHARF_BUILDERS])).nullable().optional(),
  buildCommand: command,
  dockerfilePath: z.string().trim().min(1).nullable().optional(),
  ...unsupported(UNSUPPORTED.build),
});

export const railwayDeploySchema = z.strictObject({
  startCommand: command,
  healthcheckPath: z.string().trim().startsWith('/').nullable().optional(),
  healthcheckTimeout: int(1, 3600),
  restartPolicyType: z.preprocess(upper, z.enum(RESTART_POLICIES)).nullable().optional(),
  restartPolicyMaxRetries: int(0, 1000),
  numReplicas: int(1, 50),
  overlapSeconds: int(0, 3600),
  drainingSeconds: int(0, 3600),
  // A string or, as Railway's docs show, a list (`["npm run db:migrate"]`): checked where it is
  // read, so a bad entry is named by its index.
  preDeployCommand: z.unknown().optional(),
  preDeployTimeoutSeconds: int(1, 86_400),
  cronSchedule: z.unknown().optional(),
  /** { containers: { cpu, memoryBytes } }: read by limit-override.ts. */
  limitOverride: z.unknown().optional(),
  ...unsupported(UNSUPPORTED.deploy),
});

const sections = z.strictObject({
  build: railwayBuildSchema.nullable().optional(),
  deploy: railwayDeploySchema.nullable().optional(),
});

export const railwayConfigSchema = z.strictObject({
  $schema: z.unknown().optional(),
  build: railwayBuildSchema.nullable().optional(),
  deploy: railwayDeploySchema.nullable().optional(),
  environments: z.record(z.string(), sections.nullable()).nullable().optional(),
});

export type RailwayConfig = z.infer<typeof railwayConfigSchema>;
export type RailwayBuild = z.infer<typeof railwayBuildSchema>;
export type RailwayDeploy = z.infer<typeof railwayDeploySchema>;

/** The field names allowed in the object at `path`, for did-you-mean. */
export function knownFields(path: readonly PropertyKey[]): string[] {
  const last = path[path.length - 1];
  if (path.length === 0) return Object.keys(railwayConfigSchema.shape);
  if (path.length === 2 && path[0] === 'environments') return ['build', 'deploy'];
  if (last === 'build') return Object.keys(railwayBuildSchema.shape);
  if (last === 'deploy') return Object.keys(railwayDeploySchema.shape);
  return [];
}
