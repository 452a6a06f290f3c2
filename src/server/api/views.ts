import type { DeploymentView, ReplicaView, ServiceStatusView } from '../../core/api.js';
import type { Deployment } from '../../core/model.js';
import type { ReplicaStatus } from '../../core/runtime.js';
import { publicUrl, serviceHost, type ServerOptions } from '../options.js';
import type { InstanceContext } from '../store/projects.js';
import type { Store } from '../store/store.js';

// Model → API answers. The only place that decides what a client sees of a record.

export function deploymentView(store: Store, d: Deployment): DeploymentView {
  const artifact = d.artifactId ? store.artifacts.find(d.artifactId) : null;
  return {
    id: d.id,
    number: d.number,
    status: d.status,
    reason: d.reason,
    trigger: d.trigger,
    sourceDigest: d.sourceDigest,
    artifactId: d.artifactId,
    rollbackOf: d.rollbackOf,
    canRollback: artifact !== null && !artifact.removedAt && store.deployments.reachedActive(d.id),
    warnings: d.warnings,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export function serviceStatusView(store: Store, options: ServerOptions, ctx: InstanceContext, statuses: ReplicaStatus[]): ServiceStatusView {
  const host = serviceHost(options, { project: ctx.project.name, environment: ctx.environment.name, service: ctx.service.name });
  const byId = new Map(statuses.map((s) => [s.replicaId, s]));
  const active = ctx.instance.activeDeploymentId ? store.deployments.get(ctx.instance.activeDeploymentId) : null;
  const latest = store.deployments.listForInstance(ctx.instance.id, 1)[0] ?? null;
  const replicas: ReplicaView[] = store.replicas.forInstance(ctx.instance.id).map((r) => {
    const s = byId.get(r.id);
    return {
      id: r.id,
      deploymentId: r.deploymentId,
      state: s?.state ?? 'lost',
      routed: r.routed,
      restarts: s?.restarts ?? 0,
      port: r.port,
      lastReason: s?.lastReason ?? null,
      unhealthySince: s?.unhealthySince ?? null,
    };
  });
  return {
    project: ctx.project.name,
    environment: ctx.environment.name,
    service: ctx.service.name,
    kind: ctx.service.kind,
    host,
    url: publicUrl(options, host),
    activeDeployment: active ? deploymentView(store, active) : null,
    latestDeployment: latest ? deploymentView(store, latest) : null,
    replicas,
    settings: ctx.instance.settings,
  };
}
