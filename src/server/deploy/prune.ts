import type { DeployContext } from './context.js';

/** Keeps the newest N artifacts (release folders or images) of an instance (and always the active one's); removes the rest. */
export async function pruneArtifacts(ctx: DeployContext, instanceId: string): Promise<void> {
  const { store } = ctx;
  const activeId = store.projects.getInstance(instanceId).activeDeploymentId;
  const activeArtifact = activeId ? store.deployments.get(activeId).artifactId : null;
  const kept = store.artifacts.kept(instanceId);
  const inUse = new Set(store.replicas.forInstance(instanceId).map((r) => store.deployments.get(r.deploymentId).artifactId));
  for (const artifact of kept.slice(Math.max(ctx.options.keepArtifacts, 1))) {
    if (artifact.id === activeArtifact || inUse.has(artifact.id)) continue;
    store.artifacts.markRemoved(artifact.id);
    // A release folder is the builder's to remove; an image is also held by the engine.
    await ctx.builds.removeArtifact(artifact.ref);
    if (artifact.ref.kind === 'image') await ctx.runtime.removeArtifact?.(artifact.ref);
  }
}
