import { z } from 'zod';
import { NAME_PATTERN } from './names.js';
import { memorySizeProblem, parseCpus } from './resource-sizes.js';

// Service settings per environment, under Railway's names and with Railway's defaults
// (REFERENCE.md §1.2–1.3). railway.json/toml values override them for one deployment.

export const BUILDERS = ['AUTO', 'NODE', 'STATIC', 'PROCFILE', 'COMMANDS', 'DOCKERFILE'] as const;
export type BuilderName = (typeof BUILDERS)[number];

export const RESTART_POLICIES = ['ON_FAILURE', 'ALWAYS', 'NEVER'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v);

const jsonString = (v: unknown) => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
};

/** A check of a new deployment: before traffic moves to it, or right after with automatic rollback. */
export const postDeployCheckSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('http'),
      name: z.string().min(1).optional(),
      method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
      path: z.string().startsWith('/'),
      body: z.string().optional(),
      expectStatus: z.number().int().min(100).max(599).default(200),
      bodyContains: z.string().optional(),
      timeoutSeconds: z.number().min(0.1).max(600).default(10),
      phase: z.enum(['before-switch', 'after-switch']).default('before-switch'),
    })
    .strict(),
  z
    .object({
      type: z.literal('command'),
      name: z.string().min(1).optional(),
      command: z.string().min(1),
      timeoutSeconds: z.number().min(0.1).max(3600).default(300),
      phase: z.enum(['before-switch', 'after-switch']).default('before-switch'),
    })
    .strict(),
]);
export type PostDeployCheck = z.infer<typeof postDeployCheckSchema>;

export const CRON_CONCURRENCY = ['forbid', 'allow', 'replace'] as const;

const settingsShape = {
  builder: z.preprocess(upper, z.enum(BUILDERS)),
  buildCommand: z.string().min(1).nullable(),
  startCommand: z.string().min(1).nullable(),
  staticDir: z.string().min(1).nullable(),
  /** The service's folder inside the uploaded source (Railway's "Root Directory", render.yaml rootDir). */
  rootDirectory: z.string().min(1).nullable(),
  /** Runs once per deployment after the build, before replicas start (migrations). */
  preDeployCommand: z.string().min(1).nullable(),
  preDeployTimeoutSeconds: z.coerce.number().int().min(1).max(86_400),
  /** Makes the service a cron job: 5-field cron in UTC or @hourly/@daily … */
  cronSchedule: z.string().min(1).nullable(),
  /** A run due while the previous one still runs: forbid (skip it, Railway's way), allow, replace. */
  cronConcurrencyPolicy: z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(CRON_CONCURRENCY)),
  cronTimeoutSeconds: z.coerce.number().int().min(1).max(86_400).nullable(),
  /** Run the latest missed run once when the control plane comes back. */
  cronRunMissed: z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()),
  postDeployChecks: z.preprocess(jsonString, z.array(postDeployCheckSchema).max(20)),
  healthcheckPath: z.string().startsWith('/').nullable(),
  healthcheckTimeout: z.coerce.number().int().min(1).max(3600),
  restartPolicyType: z.preprocess(upper, z.enum(RESTART_POLICIES)),
  restartPolicyMaxRetries: z.coerce.number().int().min(0).max(1000),
  numReplicas: z.coerce.number().int().min(1).max(50),
  overlapSeconds: z.coerce.number().int().min(0).max(3600),
  drainingSeconds: z.coerce.number().int().min(0).max(3600),
  livenessIntervalSeconds: z.coerce.number().min(0.2).max(3600),
  livenessTimeoutSeconds: z.coerce.number().min(0.1).max(600),
  livenessFailureThreshold: z.coerce.number().int().min(1).max(100),
  /** The Dockerfile, relative to the service's folder (railway.json build.dockerfilePath, RAILWAY_DOCKERFILE_PATH, render.yaml dockerfilePath, compose build.dockerfile). */
  dockerfilePath: z.string().min(1).nullable(),
  /** The Docker build context, relative to the service's folder (render.yaml dockerContext); default the folder itself. */
  dockerContext: z.string().min(1).nullable(),
  /** The Dockerfile stage to build (`--target`; compose build.target). */
  dockerTarget: z.string().min(1).nullable(),
  /** Volumes kept across deploys and rollbacks (docs/volumes.md); Railway allows one, Wharf a few. */
  volumes: z.preprocess(jsonString, z.array(volumeSettingSchema()).max(10).superRefine(uniqueVolumes)),
  /** A memory cap per replica: bytes or a size such as 512M, 1Gi (Railway limitOverride, Render plan, Compose mem_limit). */
  memoryLimit: z.union([z.number(), z.string()]).superRefine(validMemory).nullable(),
  /** A CPU cap per replica, in cores (0.5 is half a core). */
  cpuLimit: z.union([z.number(), z.string()]).superRefine(validCpus).nullable(),
  /** Run this prebuilt image instead of building the source (Compose `image:`; Docker runtime). */
  image: z.string().min(1).max(512).regex(/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/, 'expected an image reference such as nginx:1.27 or ghcr.io/org/app@sha256:…').nullable(),
  /** Services of the same environment whose deploys finish before this one starts (Compose depends_on). */
  dependsOn: z.preprocess(jsonString, z.array(z.string().regex(NAME_PATTERN, 'expected a service name')).max(50)),
};

function volumeSettingSchema() {
  return z
    .object({
      /** Unique within the service: 1-40 lowercase letters, digits and dashes. */
      name: z.string().regex(NAME_PATTERN, 'use 1-40 lowercase letters, digits and dashes, starting and ending with a letter or digit'),
      /** Where the app sees it in a container; on the process runtime RAILWAY_VOLUME_MOUNT_PATH says where it is. */
      mountPath: z.string().regex(/^\/[A-Za-z0-9._\/-]*$/, 'expected an absolute path such as /data').refine((p) => p !== '/' && !p.split('/').includes('..'), 'expected a folder below /, without ..'),
      /** Render's sizeGB: recorded and shown; not enforced on either runtime. */
      sizeGB: z.number().positive().max(16_384).optional(),
    })
    .strict();
}

function uniqueVolumes(volumes: Array<{ name: string; mountPath: string }>, ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  const paths = new Set<string>();
  volumes.forEach((v, i) => {
    if (names.has(v.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `a second volume named '${v.name}'` });
    if (paths.has(v.mountPath)) ctx.addIssue({ code: 'custom', path: [i, 'mountPath'], message: `a second volume mounted at ${v.mountPath}` });
    names.add(v.name);
    paths.add(v.mountPath);
  });
}

function validMemory(value: number | string, ctx: z.RefinementCtx): void {
  const problem = memorySizeProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}

function validCpus(value: number | string, ctx: z.RefinementCtx): void {
  if (parseCpus(value) === null) ctx.addIssue({ code: 'custom', message: `'${String(value)}' is not a CPU count: use a number of cores above 0, e.g. 0.5 or 2` });
}

/** Some settings, e.g. a change or an override: no defaults, unknown keys rejected. */
export const serviceSettingsPatchSchema = z.object(settingsShape).partial().strict();
export type ServiceSettingsPatch = z.infer<typeof serviceSettingsPatchSchema>;
export type ServiceSettings = { [K in keyof ServiceSettingsPatch]-?: Exclude<ServiceSettingsPatch[K], undefined> };

export const DEFAULT_SETTINGS: ServiceSettings = Object.freeze({
  builder: 'AUTO',
  buildCommand: null,
  startCommand: null,
  staticDir: null,
  rootDirectory: null,
  preDeployCommand: null,
  preDeployTimeoutSeconds: 3600,
  cronSchedule: null,
  cronConcurrencyPolicy: 'forbid',
  cronTimeoutSeconds: null,
  cronRunMissed: false,
  postDeployChecks: [],
  healthcheckPath: null,
  healthcheckTimeout: 300,
  restartPolicyType: 'ON_FAILURE',
  restartPolicyMaxRetries: 10,
  numReplicas: 1,
  overlapSeconds: 0,
  drainingSeconds: 0,
  livenessIntervalSeconds: 10,
  livenessTimeoutSeconds: 5,
  livenessFailureThreshold: 3,
  dockerfilePath: null,
  dockerContext: null,
  dockerTarget: null,
  volumes: [],
  memoryLimit: null,
  cpuLimit: null,
  image: null,
  dependsOn: [],
});

/** Complete settings: what is given over the defaults (unknown keys, e.g. from older versions, dropped). */
export const serviceSettingsSchema = z
  .object(settingsShape)
  .partial()
  .transform((given): ServiceSettings => {
    const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
    return { ...DEFAULT_SETTINGS, ...defined };
  });

/** The shape of complete settings, for documents (OpenAPI, JSON Schema). */
export const serviceSettingsViewSchema = z.object(settingsShape);

// Time between SIGTERM and SIGKILL. Railway's default of 0 kills at once; Wharf has
// already drained in-flight requests by then, but gives the app a moment to exit cleanly.
export function stopGraceMs(settings: ServiceSettings): number {
  return (settings.drainingSeconds > 0 ? settings.drainingSeconds : 10) * 1000;
}
