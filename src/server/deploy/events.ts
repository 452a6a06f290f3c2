import type { Deployment } from '../../core/model.js';
import type { EventSeverity } from '../store/events.js';
import type { Store } from '../store/store.js';

/** Records what happened to a deployment as an event, with the names around it. */
export function emitDeploymentEvent(store: Store, deployment: Deployment, kind: string, severity: EventSeverity, message: string, data: Record<string, unknown> = {}): void {
  const ctx = store.projects.describeInstance(deployment.instanceId);
  store.events.emit({
    projectId: ctx.project.id,
    environmentId: ctx.environment.id,
    serviceId: ctx.service.id,
    deploymentId: deployment.id,
    kind,
    severity,
    message: `${ctx.service.name} (${ctx.environment.name}): ${message}`,
    data: { deployment: deployment.number, trigger: deployment.trigger, ...data },
  });
}
