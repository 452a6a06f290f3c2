import type { ArtifactRef, RuntimeName } from './artifact.js';
import type { ServiceSettings } from './settings.js';

// The words users talk in (AGENTS.md): Project ─ Environment ─ Service ─ ServiceInstance ─
// Deployment ─ Replica. `*Spec` is desired state, `*Status` observed state.

export type ServiceKind = 'web' | 'worker' | 'cron' | 'database' | 'static';

export const DEPLOYMENT_STATUSES = [
  'QUEUED',
  'BUILDING',
  'PRE_DEPLOY',
  'DEPLOYING',
  'ACTIVE',
  'FAILED',
  'CRASHED',
  // Every replica exited 0 where the restart policy does not restart a clean exit: work done.
  'EXITED',
  'REMOVED',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const IN_PROGRESS_STATUSES: readonly DeploymentStatus[] = ['QUEUED', 'BUILDING', 'PRE_DEPLOY', 'DEPLOYING'];
export const FINAL_STATUSES: readonly DeploymentStatus[] = ['ACTIVE', 'FAILED', 'CRASHED', 'EXITED', 'REMOVED'];

export type DeploymentTrigger = 'up' | 'redeploy' | 'rollback' | 'restart';

export interface Project {
  id: string;
  name: string;
  /** The runtime its services build for and run on (project file `runtime`); absent: WHARF_RUNTIME. */
  runtime?: RuntimeName;
  createdAt: string;
}

export interface Environment {
  id: string;
  projectId: string;
  name: string;
  /** Production gets the strict policy checks (`wharf doctor`) whatever its name. */
  production: boolean;
  createdAt: string;
}

export interface Service {
  id: string;
  projectId: string;
  name: string;
  kind: ServiceKind;
  createdAt: string;
}

export interface ServiceInstance {
  id: string;
  serviceId: string;
  environmentId: string;
  settings: ServiceSettings;
  activeDeploymentId: string | null;
  /** Where the router forwards private traffic to this instance (127.0.0.1:privatePort). */
  privatePort: number | null;
  createdAt: string;
}

export interface Deployment {
  id: string;
  instanceId: string;
  number: number;
  status: DeploymentStatus;
  reason: string | null;
  trigger: DeploymentTrigger;
  sourceDigest: string;
  artifactId: string | null;
  /** Settings this deployment runs with: instance settings merged with railway.json/toml. */
  config: ServiceSettings;
  /** Variables snapshot (resolved when the deployment was made), names → values. */
  variables: Record<string, string>;
  /** Which of those variables are secret: their values are redacted from logs. */
  secretKeys: string[];
  warnings: string[];
  /** For a rollback: the deployment whose artifact and snapshot it re-activates. */
  rollbackOf: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentEvent {
  id: number;
  deploymentId: string;
  status: DeploymentStatus;
  message: string;
  at: string;
}

export interface ReplicaRecord {
  id: string;
  deploymentId: string;
  instanceId: string;
  port: number | null;
  /** Receives traffic from the router: set only after the replica passed its health check. */
  routed: boolean;
  createdAt: string;
}

export interface ArtifactRecord {
  id: string;
  instanceId: string;
  /** A release folder or an image pinned by digest (src/core/artifact.ts). */
  ref: ArtifactRef;
  builder: string;
  /** How to start it; `release` is a pre-deploy command the source declared (Procfile). */
  start: { argv: string[]; kind: 'web' | 'worker'; release?: string };
  createdAt: string;
  removedAt: string | null;
}
