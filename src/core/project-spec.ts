import { z } from 'zod';
import { RUNTIME_NAMES, type RuntimeName } from './artifact.js';
import { NAME_PATTERN } from './names.js';
import { serviceSettingsPatchSchema } from './settings.js';
import { variableValueSchema } from './variable-value.js';

// A whole project as code: what wharf.toml says, and what every importer (railway.json/toml,
// render.yaml, Procfile, docker-compose.yml) produces. The control plane applies a
// ProjectSpec to one environment at a time.
//
// Variable values use Railway's reference syntax for wiring: `${{shared.KEY}}`,
// `${{service.KEY}}` (incl. platform variables such as `${{api.RAILWAY_PRIVATE_DOMAIN}}`),
// `${{KEY}}` (the same service). A database's variables are referenced the same way,
// `${{db.DATABASE_URL}}`.

const name = z.string().regex(NAME_PATTERN, 'use 1-40 lowercase letters, digits and dashes, starting and ending with a letter or digit');
const variableKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use letters, digits and underscores, not starting with a digit');

/** A variable: a plain value, or an object saying how to get one. */
export const variableSpecSchema = z.union([
  variableValueSchema,
  z
    .object({
      /** The value; may contain references. */
      value: variableValueSchema.optional(),
      /** Masked in every output; never copied to another environment. */
      secret: z.boolean().optional(),
      /** Usable by deployments, never readable back (Railway's sealed variables). */
      sealed: z.boolean().optional(),
      /** Wharf generates a random secret once (render.yaml `generateValue: true`). */
      generate: z.literal('secret').optional(),
      /** The user must set it before deploying (render.yaml `sync: false`). */
      required: z.boolean().optional(),
    })
    .strict(),
]);
export type VariableSpec = z.infer<typeof variableSpecSchema>;

const variables = z.record(variableKey, variableSpecSchema);

export const SERVICE_KINDS = ['web', 'worker', 'cron', 'static'] as const;

/** Settings a service may set per environment (service settings + variables). */
// `root` and `schedule` are this file's names for the rootDirectory and cronSchedule settings.
const serviceFields = serviceSettingsPatchSchema.omit({ rootDirectory: true, cronSchedule: true }).extend({
  /** 5-field cron (UTC) or @hourly/@daily…; only for kind "cron". */
  schedule: z.string().min(1).nullable().optional(),
  variables: variables.optional(),
  domains: z.array(z.string().min(1)).optional(),
});

export const serviceSpecSchema = serviceFields
  .extend({
    kind: z.enum(SERVICE_KINDS).default('web'),
    /** Folder of this service inside the uploaded source (render.yaml `rootDir`, compose build context). */
    root: z.string().min(1).default('.'),
    /** Per-environment overrides of the fields above. */
    environments: z.record(name, serviceFields.strict()).optional(),
  })
  .strict();
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;

export const DATABASE_ENGINES = ['postgres', 'redis', 'mysql', 'mongo'] as const;

export const databaseSpecSchema = z
  .object({
    engine: z.enum(DATABASE_ENGINES),
    version: z.string().optional(),
  })
  .strict();
export type DatabaseSpec = z.infer<typeof databaseSpecSchema>;

export const projectSpecSchema = z
  .object({
    /** Project name (the CLI link wins when they differ). */
    name: name.optional(),
    /**
     * What the project's services build for and run on: release folders run as processes, or
     * images run as containers. Absent: the server's WHARF_RUNTIME. Takes effect at each
     * service's next deploy.
     */
    runtime: z.enum(RUNTIME_NAMES as [RuntimeName, ...RuntimeName[]]).optional(),
    /** Environments this file describes; `production` always exists. */
    environments: z.array(name).default(['production']),
    /** Shared variables: `${{shared.KEY}}`; `environments.<env>` overrides per environment. */
    shared: z
      .object({
        variables: variables.default({}),
        environments: z.record(name, z.object({ variables: variables.default({}) }).strict()).default({}),
      })
      .strict()
      .default({ variables: {}, environments: {} }),
    services: z.record(name, serviceSpecSchema).default({}),
    databases: z.record(name, databaseSpecSchema).default({}),
  })
  .strict()
  .superRefine((spec, ctx) => checkDependsOn(spec.services, Object.keys(spec.databases), ctx));
export type ProjectSpec = z.infer<typeof projectSpecSchema>;
export type ProjectSpecInput = z.input<typeof projectSpecSchema>;

/** Something an importer could not map, or a field Wharf does not honour yet. */
export interface ConfigWarning {
  file: string;
  line?: number;
  column?: number;
  /** Dotted path of the field, e.g. `services[0].autoDeploy`. */
  field: string;
  message: string;
}

export interface ImportResult {
  spec: ProjectSpec;
  warnings: ConfigWarning[];
}

/**
 * `dependsOn` names services (or databases) of the file, and never makes a cycle: a cycle could
 * never finish deploying, so it is refused where it is written, not at deploy time.
 */
function checkDependsOn(services: Record<string, { dependsOn?: string[] | undefined }>, databases: string[], ctx: z.RefinementCtx): void {
  for (const [service, spec] of Object.entries(services)) {
    (spec.dependsOn ?? []).forEach((dep, i) => {
      if (!(dep in services) && !databases.includes(dep)) ctx.addIssue({ code: 'custom', path: ['services', service, 'dependsOn', i], message: `'${dep}' is not a service or database of this file` });
    });
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (service: string): boolean => {
    state.set(service, 'visiting');
    trail.push(service);
    const deps = services[service]?.dependsOn ?? [];
    for (const [i, dep] of deps.entries()) {
      if (state.get(dep) === 'visiting') {
        const cycle = [...trail.slice(trail.indexOf(dep)), dep];
        ctx.addIssue({ code: 'custom', path: ['services', service, 'dependsOn', i], message: `dependsOn makes a cycle: ${cycle.join(' → ')}` });
        return false;
      }
      if (!state.has(dep) && dep in services && !visit(dep)) return false;
    }
    trail.pop();
    state.set(service, 'done');
    return true;
  };
  for (const service of Object.keys(services).sort()) if (!state.has(service) && !visit(service)) return;
}
