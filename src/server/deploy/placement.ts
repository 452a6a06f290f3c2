import type { ResourceLimits, PrivateNetwork, VolumeMount } from '../../core/runtime.js';
import { parseCpus, parseMemorySize } from '../../core/resource-sizes.js';
import type { ServiceSettings } from '../../core/settings.js';
import { VolumeRepository } from '../volumes/volume-store.js';
import type { DeployContext } from './context.js';

/**
 * Where a service instance's replicas and jobs run beyond their artifact: its volumes, its
 * private network and its resource limits. Every replica, cron run, pre-deploy and one-off
 * command of the instance gets the same placement.
 */
export interface Placement {
  volumes?: VolumeMount[];
  network?: PrivateNetwork;
  limits?: ResourceLimits;
}

/**
 * The placement of an instance from its current settings. Volumes are recorded the first time
 * (volumes table), so their names never change and nothing a deploy or rollback does removes
 * one; a rollback mounts today's volumes, as Railway does.
 */
export function placementOf(ctx: Pick<DeployContext, 'store' | 'options'>, instanceId: string): Placement {
  const { project, environment, service, instance } = ctx.store.projects.describeInstance(instanceId);
  const volumes = new VolumeRepository(ctx.store.db).ensure(instanceId, instance.settings.volumes).map((v) => ({ name: v.name, mountPath: v.mountPath }));
  const limits = limitsOf(instance.settings);
  return {
    ...(volumes.length > 0 ? { volumes } : {}),
    network: privateNetwork(project.id, environment.id, service.name),
    ...(limits ? { limits } : {}),
  };
}

/** One network per project-environment; a service answers there to its name and `<name>.railway.internal`. */
export function privateNetwork(projectId: string, environmentId: string, serviceName: string): PrivateNetwork {
  return { name: networkName(projectId, environmentId), aliases: [serviceName, privateDomain(serviceName)] };
}

/** `wharf-<projectId>-<environmentId>`, lower-case: ids are `prj_<hex>` and `env_<hex>`, valid in a Docker name. */
export function networkName(projectId: string, environmentId: string): string {
  const name = `wharf-${projectId}-${environmentId}`.toLowerCase();
  if (!/^[a-z0-9][a-z0-9_.-]{0,127}$/.test(name)) throw new Error(`not a Docker network name: ${name}`);
  return name;
}

/** A service name is a DNS label (NAME_PATTERN), so this is a valid host name and alias. */
export function privateDomain(serviceName: string): string {
  return `${serviceName}.railway.internal`;
}

export function limitsOf(settings: Pick<ServiceSettings, 'memoryLimit' | 'cpuLimit'>): ResourceLimits | null {
  const memoryBytes = settings.memoryLimit === null ? null : parseMemorySize(settings.memoryLimit);
  const cpus = settings.cpuLimit === null ? null : parseCpus(settings.cpuLimit);
  if (memoryBytes === null && cpus === null) return null;
  return { ...(memoryBytes !== null ? { memoryBytes } : {}), ...(cpus !== null ? { cpus } : {}) };
}
