import { z } from 'zod';
import { DEPLOYMENT_STATUSES } from './model.js';
import { NAME_PATTERN } from './names.js';
import { serviceSettingsPatchSchema, serviceSettingsViewSchema } from './settings.js';
import { variableValueSchema } from './variable-value.js';

// Request and response shapes of the HTTP API: validated by the server, relied on by the CLI,
// and the source of the OpenAPI document.

export const nameSchema = z.string().regex(NAME_PATTERN, 'use 1-40 lowercase letters, digits and dashes');

export const createProjectBody = z.object({ name: nameSchema }).strict();
export const createServiceBody = z.object({ name: nameSchema, kind: z.enum(['web', 'worker']).default('web') }).strict();
export const updateSettingsBody = serviceSettingsPatchSchema;
export const rollbackBody = z.object({ deployment: z.string().min(1).max(64).optional() }).strict();
export const variableKeySchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use letters, digits and underscores, not starting with a digit');
export const variableInputSchema = z.union([
  variableValueSchema,
  z.object({ value: variableValueSchema, secret: z.boolean().optional(), sealed: z.boolean().optional() }).strict(),
]);
export const changeVariablesBody = z
  .object({
    set: z.record(variableKeySchema, variableInputSchema).default({}),
    delete: z.array(variableKeySchema).default([]),
    /** Stage the change without redeploying (Railway's --skip-deploys). */
    skipDeploy: z.boolean().default(false),
  })
  .strict();
export const createEnvironmentBody = z.object({ name: nameSchema, from: nameSchema.optional() }).strict();
export const renameEnvironmentBody = z.object({ name: nameSchema }).strict();

export const logsQuery = z.object({
  deployment: z.string().max(64).optional(),
  build: z.enum(['0', '1', 'true', 'false']).optional(),
  follow: z.enum(['0', '1', 'true', 'false']).optional(),
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  lines: z.coerce.number().int().min(1).max(100_000).optional(),
  /** The log query language (docs/logs.md): text, level:error, @field:value, -exclude, AND/OR. */
  filter: z.string().max(2000).optional(),
  /** With follow=1: resume after this line id (what an SSE client's Last-Event-ID says). */
  after: z.coerce.number().int().min(0).optional(),
});

export const projectView = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  environments: z.array(z.object({ id: z.string(), name: z.string() })),
  services: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string() })),
});

export const deploymentView = z.object({
  id: z.string(),
  number: z.number(),
  status: z.enum(DEPLOYMENT_STATUSES),
  reason: z.string().nullable(),
  trigger: z.string(),
  sourceDigest: z.string(),
  artifactId: z.string().nullable(),
  rollbackOf: z.string().nullable(),
  canRollback: z.boolean(),
  warnings: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const replicaView = z.object({
  id: z.string(),
  deploymentId: z.string(),
  state: z.string(),
  routed: z.boolean(),
  restarts: z.number(),
  port: z.number().nullable(),
  lastReason: z.string().nullable(),
  /** Since when it has failed its health check (out of the routing set until a 2xx); null when healthy. */
  unhealthySince: z.string().nullable(),
});

export const serviceStatusView = z.object({
  project: z.string(),
  environment: z.string(),
  service: z.string(),
  kind: z.string(),
  host: z.string(),
  url: z.string(),
  activeDeployment: deploymentView.nullable(),
  latestDeployment: deploymentView.nullable(),
  replicas: z.array(replicaView),
  settings: serviceSettingsViewSchema,
});

export const variableView = z.object({
  key: z.string(),
  /** null for sealed variables; "********" for secret ones unless revealed. */
  value: z.string().nullable(),
  secret: z.boolean(),
  sealed: z.boolean(),
  updatedAt: z.string(),
});
export const environmentView = z.object({ id: z.string(), name: z.string(), production: z.boolean(), createdAt: z.string() });

export const deploymentEventView = z.object({ id: z.number(), status: z.string(), message: z.string(), at: z.string() });
export const logLineView = z.object({
  t: z.string(),
  s: z.enum(['out', 'err', 'sys']),
  m: z.string(),
  replica: z.string().optional(),
  /** Lines answered by the log index carry its id (the SSE event id), level and JSON fields. */
  id: z.number().int().optional(),
  level: z.string().optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
  deployment: z.string().optional(),
  source: z.string().optional(),
});

export type ProjectView = z.infer<typeof projectView>;
export type DeploymentView = z.infer<typeof deploymentView>;
export type ReplicaView = z.infer<typeof replicaView>;
export type ServiceStatusView = z.infer<typeof serviceStatusView>;
export type DeploymentEventView = z.infer<typeof deploymentEventView>;
export type LogLineView = z.infer<typeof logLineView>;
export type VariableView = z.infer<typeof variableView>;
export type EnvironmentView = z.infer<typeof environmentView>;
