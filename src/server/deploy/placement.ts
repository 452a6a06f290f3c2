import type { ResourceLimits, PrivateNetwork, VolumeMount } from '../../core/runtime.js';
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

export function placementOf(_ctx: Pick<DeployContext, 'store' | 'options'>, _instanceId: string): Placement {
  return {};
}
