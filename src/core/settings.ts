import { z } from 'zod';

// Service settings per environment, under Railway's names and with Railway's defaults
// (REFERENCE.md §1.2–1.3). railway.json/toml values override them for one deployment.

export const BUILDERS = ['AUTO', 'NODE', 'STATIC', 'PROCFILE', 'COMMANDS'] as const;
export type BuilderName = (typeof BUILDERS)[number];

export const RESTART_POLICIES = ['ON_FAILURE', 'ALWAYS', 'NEVER'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v);

export const serviceSettingsSchema = z.object({
  builder: z.preprocess(upper, z.enum(BUILDERS)).default('AUTO'),
  buildCommand: z.string().min(1).nullable().default(null),
  startCommand: z.string().min(1).nullable().default(null),
  staticDir: z.string().min(1).nullable().default(null),
  healthcheckPath: z.string().startsWith('/').nullable().default(null),
  healthcheckTimeout: z.coerce.number().int().min(1).max(3600).default(300),
  restartPolicyType: z.preprocess(upper, z.enum(RESTART_POLICIES)).default('ON_FAILURE'),
  restartPolicyMaxRetries: z.coerce.number().int().min(0).max(1000).default(10),
  numReplicas: z.coerce.number().int().min(1).max(50).default(1),
  overlapSeconds: z.coerce.number().int().min(0).max(3600).default(0),
  drainingSeconds: z.coerce.number().int().min(0).max(3600).default(0),
  livenessIntervalSeconds: z.coerce.number().min(0.2).max(3600).default(10),
  livenessTimeoutSeconds: z.coerce.number().min(0.1).max(600).default(5),
  livenessFailureThreshold: z.coerce.number().int().min(1).max(100).default(3),
});

export type ServiceSettings = z.infer<typeof serviceSettingsSchema>;
export type ServiceSettingsPatch = Partial<ServiceSettings>;

export const serviceSettingsPatchSchema = serviceSettingsSchema.partial().strict();

export const DEFAULT_SETTINGS: ServiceSettings = Object.freeze(serviceSettingsSchema.parse({}));

// Time between SIGTERM and SIGKILL. Railway's default of 0 kills at once; Wharf has
// already drained in-flight requests by then, but gives the app a moment to exit cleanly.
export function stopGraceMs(settings: ServiceSettings): number {
  return (settings.drainingSeconds > 0 ? settings.drainingSeconds : 10) * 1000;
}
