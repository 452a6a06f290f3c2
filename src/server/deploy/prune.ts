import type { DeployContext } from './context.js';

/** Keeps the newest N releases of an instance (and always the active one's); removes the rest. */
export async function pruneArtifacts(ctx: DeployContext, instanceId: string): Promise<void> {
  const { store } = ctx;
  const activeId = store.projects.getInstance(instanceId).activeDeploymentId;
  const activeArtifact = activeId ? store.deployments.get(activeId).artifactId : null;
  const kept = store.artifacts.kept(instanceId);
  const inUse = new Set(store.replicas.forInstance(instanceId).map((r) => store.deployments.get(r.deploymentId).artifactId));
  for (const artifact of kept.slice(Math.max(ctx.options.keepArtifacts, 1))) {
    if (artifact.id === activeArtifact || inUse.has(artifact.id)) continue;
    store.artifacts.markRemoved(artifact.id);
    await ctx.builds.removeRelease(artifact.releaseDir);
  }
}
