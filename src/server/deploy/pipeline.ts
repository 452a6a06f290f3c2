import type { ArtifactRecord, Deployment } from '../../core/model.js';
import { isWharfError, WharfError } from '../../core/errors.js';
import type { RuntimeName } from '../../core/artifact.js';
import { LogWriter } from '../../shared/log-writer.js';
import { buildLogFile } from '../observe/log-paths.js';
import { appsFolders, appUserFor } from '../isolation/isolation.js';
import type { DeployContext } from './context.js';
import { pruneArtifacts } from './prune.js';
import { secretValuesOf } from './replicas.js';
import { rollout, RolloutError } from './rollout.js';
import { serviceSource } from './source-root.js';
import { runChecks } from './checks.js';
import { emitDeploymentEvent } from './events.js';
import { runPreDeploy } from './pre-deploy.js';
import { Redactor } from '../../shared/secrets/redact.js';
import { safeMessage } from '../variables/safe-message.js';
import { defaultDocker } from '../builders/image/engine.js';
import { prebuiltImageArtifact } from './prebuilt-image.js';
import { runtimeFor } from '../runtimes/select.js';

/**
 * One deployment, start to finish, as one story:
 *   QUEUED → BUILDING (or reuse a kept artifact) → DEPLOYING (start, health, swap, drain) → ACTIVE
 * and on any failure FAILED/CRASHED with the reason and the last log lines, while the
 * previous deployment keeps serving. Progress goes to the deployment's build log, which
 * `wharf up` and `wharf logs --build` stream.
 */
export async function runDeployment(ctx: DeployContext, deploymentId: string): Promise<Deployment> {
  const { store } = ctx;
  let deployment = store.deployments.get(deploymentId);
  const redactor = new Redactor(secretValuesOf(ctx, deployment));
  const log = new LogWriter(buildLogFile(ctx.options.paths.logs, deployment.instanceId, deployment.id), (m) => redactor.redact(m));
  const say = (message: string) => {
    log.write('sys', message);
    store.deployments.note(deployment.id, message);
  };
  try {
    for (const warning of deployment.warnings) log.write('sys', `warning: ${warning}`);
    const artifact = await obtainArtifact(ctx, deployment, log);
    deployment = store.deployments.get(deployment.id);

    // Migrations run once, forward: a rollback re-activates a build without running them again.
    const preDeploy = deployment.trigger === 'rollback' ? null : (deployment.config.preDeployCommand ?? artifact.start.release ?? null);
    if (preDeploy) {
      store.deployments.setStatus(deployment.id, 'PRE_DEPLOY', 'running the pre-deploy command');
      await ctx.databases?.backupBeforeMigrations(deployment.instanceId, say);
      await runPreDeploy(ctx, deployment, artifact, preDeploy, log);
    }

    const previous = store.projects.getInstance(deployment.instanceId).activeDeploymentId;
    const goLive = () => {
      store.projects.setActiveDeployment(deployment.instanceId, deployment.id);
      store.deployments.setStatus(deployment.id, 'ACTIVE', `deployment #${deployment.number} is live`);
      if (previous && previous !== deployment.id) {
        store.deployments.setStatus(previous, 'REMOVED', `replaced by deployment #${deployment.number}`);
      }
    };
    if (store.projects.describeInstance(deployment.instanceId).service.kind === 'cron') {
      // A cron service runs no replicas: each run starts from the live deployment's build.
      store.db.transaction(goLive).immediate();
      log.write('sys', `==> deployment #${deployment.number} is the build cron runs start from`);
    } else {
      store.deployments.setStatus(deployment.id, 'DEPLOYING', `deploying artifact ${artifact.id}`);
      await rollout(ctx, deployment, artifact, say, goLive, {
        beforeSwitch: (started) => runChecks(ctx, deployment, artifact, { phase: 'before-switch', replicas: started }, say),
        afterSwitch: () => runChecks(ctx, deployment, artifact, { phase: 'after-switch' }, say),
        onSwapBack: () => {
          store.projects.setActiveDeployment(deployment.instanceId, previous);
          if (previous && previous !== deployment.id) store.deployments.setStatus(previous, 'ACTIVE', 'restored: the new deployment failed a post-deploy check');
        },
      });
      log.write('sys', `==> deployment #${deployment.number} is live`);
    }
    emitDeploymentEvent(store, deployment, deployment.trigger === 'rollback' ? 'deployment.rolled_back' : 'deployment.succeeded', 'info', `deployment #${deployment.number} is live`);
    await pruneArtifacts(ctx, deployment.instanceId);
  } catch (error) {
    const status = error instanceof RolloutError ? error.status : 'FAILED';
    // The reason goes to wharf.db, the events and the server log, none of which redact: an error
    // can carry a variable (an app's answer, a value quoted by Node), so redact it here, once.
    const reason = redactor.redact(safeMessage(error));
    const lines = (error instanceof RolloutError ? error.lastLogLines : []).map((line) => redactor.redact(line));
    log.write('sys', `==> deployment #${deployment.number} ${status}: ${reason}`);
    if (isWharfError(error) && error.hint) log.write('sys', `hint: ${error.hint}`);
    for (const line of lines) log.write('sys', `  | ${line}`);
    const withLines = lines.length > 0 ? `${reason}\nlast log lines:\n${lines.map((l) => `  | ${l}`).join('\n')}` : reason;
    store.deployments.setStatus(deployment.id, status, `deployment #${deployment.number} ${status.toLowerCase()}: ${reason}`, withLines);
    emitDeploymentEvent(store, deployment, status === 'CRASHED' ? 'deployment.crashed' : 'deployment.failed', 'error', `deployment #${deployment.number} ${status}: ${reason}`);
    ctx.logger.warn({ deploymentId: deployment.id, status, reason }, 'deployment did not go live');
  } finally {
    await log.close();
  }
  return store.deployments.get(deployment.id);
}

/** A service that runs a prebuilt image (the `image` setting, Compose `image:`): no build. */
async function prebuiltArtifact(ctx: DeployContext, deployment: Deployment, runtime: RuntimeName, log: LogWriter): Promise<ArtifactRecord> {
  const image = deployment.config.image!;
  if (runtime !== 'docker') {
    throw new WharfError('INVALID_CONFIG', `this service runs the prebuilt image ${image}, which needs the docker runtime`, {
      hint: 'Set `runtime = "docker"` in the project file (or WHARF_RUNTIME=docker on the server), or remove `image` so Wharf builds the source.',
    });
  }
  log.write('sys', `==> prebuilt image ${image}`);
  const built = await prebuiltImageArtifact(await defaultDocker(ctx.options.dockerHost), image, (line, stream) => log.write(stream, line));
  const worker = ctx.store.projects.describeInstance(deployment.instanceId).service.kind === 'worker';
  const command = deployment.config.startCommand;
  const artifact = ctx.store.artifacts.add({
    id: ctx.store.artifacts.newId(),
    instanceId: deployment.instanceId,
    ref: built.ref,
    builder: 'IMAGE',
    // The image's own ENTRYPOINT/CMD unless the service names a start command.
    start: { argv: command ? ['sh', '-c', command] : [], kind: worker ? 'worker' : 'web' },
  });
  ctx.store.deployments.setArtifact(deployment.id, artifact.id);
  return artifact;
}

async function obtainArtifact(ctx: DeployContext, deployment: Deployment, log: LogWriter): Promise<ArtifactRecord> {
  const { store } = ctx;
  if (deployment.artifactId) {
    const kept = store.artifacts.find(deployment.artifactId);
    if (kept && !kept.removedAt) {
      log.write('sys', `==> reusing artifact ${kept.id} (no rebuild)`);
      return kept;
    }
  }
  store.deployments.setStatus(deployment.id, 'BUILDING', 'building');
  const source = serviceSource(ctx.builds.sourceDir(deployment.sourceDigest), deployment.config.rootDirectory);
  const runtime = runtimeFor(ctx, deployment.instanceId);
  if (deployment.config.image) return prebuiltArtifact(ctx, deployment, runtime, log);
  const plan = await ctx.builds.plan(source, deployment.config, { runtime, variables: deployment.variables });
  // A worker gets no port and no route, whatever its start command looks like.
  if (store.projects.describeInstance(deployment.instanceId).service.kind === 'worker') plan.start = { ...plan.start, kind: 'worker' };
  log.write('sys', `==> builder ${plan.builder}`);
  const artifactId = store.artifacts.newId();
  const started = Date.now();
  const built = await ctx.builds.build(plan, source, {
    artifactId,
    instanceId: deployment.instanceId,
    runtime,
    env: deployment.variables,
    log: (line, stream) => log.write(stream, line),
    user: appUserFor(ctx, deployment.instanceId),
    workRoot: appsFolders(ctx.options.isolation.appsDir).builds,
  });
  log.write('sys', `==> build finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const artifact = store.artifacts.add({
    id: artifactId,
    instanceId: deployment.instanceId,
    ref: built.ref,
    builder: plan.builder,
    start: { ...plan.start, ...(plan.release ? { release: plan.release } : {}) },
  });
  store.deployments.setArtifact(deployment.id, artifact.id);
  return artifact;
}
