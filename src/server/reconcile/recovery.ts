import type { DeployContext } from '../deploy/context.js';
import { emitDeploymentEvent } from '../deploy/events.js';

/**
 * Runs once at start, before the reconciler: a deployment the previous control plane left
 * half-done never went live (going live and becoming ACTIVE are one transaction), so it is
 * failed cleanly — with the deployment.failed event any other failure emits, so alerts on it
 * fire — and the reconciler then retires its replicas while the previous one serves on.
 */
export function recoverInterruptedDeployments(ctx: DeployContext): number {
  const interrupted = ctx.store.deployments.listInProgress();
  for (const deployment of interrupted) {
    const reason = 'interrupted by a control-plane restart';
    ctx.store.deployments.setStatus(
      deployment.id,
      'FAILED',
      `deployment #${deployment.number} failed: ${reason}`,
      'the control plane stopped while this deployment was in progress; the previous deployment kept serving. Run `wharf redeploy` to try again.',
    );
    emitDeploymentEvent(ctx.store, deployment, 'deployment.failed', 'error', `deployment #${deployment.number} FAILED: ${reason}`);
  }
  return interrupted.length;
}
