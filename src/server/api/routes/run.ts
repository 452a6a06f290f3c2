import path from 'node:path';
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { WharfError } from '../../../core/errors.js';
import { jobEnvironment } from '../../deploy/pre-deploy.js';
import { placementOf } from '../../deploy/placement.js';
import { secretValuesOf } from '../../deploy/replicas.js';
import { appUserFor } from '../../isolation/isolation.js';
import { newId } from '../../store/ids.js';
import { jsonBody } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveInstance } from '../resolve.js';
import { SERVICE } from './services.js';

const runBody = z
  .object({
    /** argv, run as given (no shell): `wharf run --remote -- sh -c '…'` when a shell is wanted. */
    command: z.array(z.string()).min(1).max(1000),
    timeoutSeconds: z.number().int().min(1).max(86_400).default(3600),
  })
  .strict();

/**
 * One-off commands on the server (`wharf run --remote`, like `heroku run`): in the service's
 * live build, with its variables, output streamed back line by line (secrets redacted), the
 * exit code last. Recorded in the audit trail. Closing the stream stops the command.
 */
export function runRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry, runtime } = deps;

  registry.add({ method: 'post', path: `${SERVICE}/run`, summary: 'Run a one-off command in the live deployment’s build and environment; server-sent events "line" then "exit"', body: runBody, stream: true });
  app.post(`${SERVICE}/run`, async (c) => {
    const ctx = resolveInstance(store, c.req.param('project')!, c.req.param('environment')!, c.req.param('service')!);
    const body = await jsonBody(c, runBody);
    const activeId = store.projects.getInstance(ctx.instance.id).activeDeploymentId;
    const deployment = activeId ? store.deployments.get(activeId) : null;
    const artifact = deployment?.artifactId ? store.artifacts.find(deployment.artifactId) : null;
    if (!deployment || !artifact || artifact.removedAt) {
      throw new WharfError('CONFLICT', `${ctx.service.name} has no live deployment to run a command in`, { hint: 'Deploy it first with `wharf up`.' });
    }
    const jobId = newId('job');
    store.audit.record('api-token', 'run', `${ctx.project.name}/${ctx.environment.name}/${ctx.service.name}`, { jobId, command: body.command, deploymentId: deployment.id });
    const logFile = path.join(deps.options.paths.logs, ctx.instance.id, 'runs', `${jobId}.log`);
    return streamSSE(c, async (stream) => {
      const abort = new AbortController();
      stream.onAbort(() => abort.abort());
      const pending: Array<Promise<void>> = [];
      const result = await runtime
        .run({
          jobId,
          serviceInstanceId: deployment.instanceId,
          artifact: artifact.ref,
          ...placementOf(deps, deployment.instanceId),
          command: body.command,
          user: appUserFor(deps, deployment.instanceId),
          env: jobEnvironment(deps, deployment, { migration: true }),
          logFile,
          timeoutMs: body.timeoutSeconds * 1000,
          secretValues: secretValuesOf(deps, deployment),
          signal: abort.signal,
          onLine: (line, s) => {
            if (s !== 'sys') pending.push(stream.writeSSE({ event: 'line', data: JSON.stringify({ s, m: line }) }));
          },
        })
        .catch((error: unknown) => ({ exitCode: 127, signal: null, timedOut: false, cancelled: false, error: (error as Error).message }));
      await Promise.all(pending);
      await stream.writeSSE({ event: 'exit', data: JSON.stringify(result) });
    });
  });
}
