import path from 'node:path';
import type { ArtifactRecord, Deployment } from '../../core/model.js';
import type { LogWriter } from '../../shared/log-writer.js';
import { deploymentLogDir } from '../observe/log-paths.js';
import { lastLines } from '../observe/log-file.js';
import { appUserFor } from '../isolation/isolation.js';
import { newId } from '../store/ids.js';
import type { DeployContext } from './context.js';
import { placementOf } from './placement.js';
import { baseEnvironment, platformVariables } from './platform-variables.js';
import { secretValuesOf } from './replicas.js';
import { RolloutError } from './rollout.js';

/** The environment one-off jobs of a deployment get: what its replicas get, without a PORT. */
export function jobEnvironment(ctx: Pick<DeployContext, 'store' | 'options' | 'databases'>, deployment: Deployment, opts: { migration: boolean }): Record<string, string> {
  return {
    ...baseEnvironment(),
    ...platformVariables(ctx.options, ctx.store.projects.describeInstance(deployment.instanceId), deployment.id),
    ...deployment.variables,
    // The migration role's URL is for one-off jobs only (pre-deploy, wharf run --remote), never replicas.
    ...(opts.migration ? (ctx.databases?.migrationVariables(deployment.instanceId) ?? {}) : {}),
  };
}

/**
 * The pre-deploy command (migrations): once per deployment, after the build and before any new
 * replica starts, in the release with the deployment's variables. A non-zero exit fails the
 * deployment; the old one never stopped serving. Output: `pre-deploy.log` beside the replicas'
 * logs (`wharf logs --deployment N`), with its end in the build log.
 */
export async function runPreDeploy(ctx: DeployContext, deployment: Deployment, artifact: ArtifactRecord, command: string, log: LogWriter): Promise<void> {
  const logFile = path.join(deploymentLogDir(ctx.options.paths.logs, deployment.instanceId, deployment.id), 'pre-deploy.log');
  const timeoutMs = deployment.config.preDeployTimeoutSeconds * 1000;
  log.write('sys', `==> pre-deploy: ${command}`);
  const started = Date.now();
  const result = await ctx.runtime.run({
    jobId: newId('job'),
    serviceInstanceId: deployment.instanceId,
    artifact: artifact.ref,
    ...placementOf(ctx, deployment.instanceId),
    command: ['sh', '-c', command],
    user: appUserFor(ctx, deployment.instanceId),
    env: jobEnvironment(ctx, deployment, { migration: true }),
    logFile,
    timeoutMs,
    secretValues: secretValuesOf(ctx, deployment),
    onLine: (line, stream) => {
      if (stream !== 'sys') log.write(stream, `  | ${line}`);
    },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.exitCode === 0) {
    log.write('sys', `==> pre-deploy finished in ${seconds} s`);
    return;
  }
  const how = result.timedOut ? `timed out after ${deployment.config.preDeployTimeoutSeconds} s` : result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
  throw new RolloutError(`the pre-deploy command ${how}`, 'FAILED', await lastLines(logFile, 15));
}
