import http from 'node:http';
import path from 'node:path';
import type { ArtifactRecord, Deployment, ReplicaRecord } from '../../core/model.js';
import type { Endpoint } from '../../core/runtime.js';
import type { PostDeployCheck } from '../../core/settings.js';
import { lastLines } from '../observe/log-file.js';
import { deploymentLogDir } from '../observe/log-paths.js';
import { appUserFor } from '../isolation/isolation.js';
import { serviceHost } from '../options.js';
import { newId } from '../store/ids.js';
import type { DeployContext } from './context.js';
import { placementOf } from './placement.js';
import { endpointUrl } from './route-sync.js';
import { jobEnvironment } from './pre-deploy.js';
import { secretValuesOf } from './replicas.js';
import { RolloutError } from './rollout.js';

// Post-deploy checks (the seeds' "verify /api/health returns 200", verify_prod_org.py,
// POST /api/seed): before the switch they hit every new replica directly; after it they go
// through the router, and a failure rolls traffic back to the old replicas.

export type CheckTarget = { phase: 'before-switch'; replicas: ReplicaRecord[] } | { phase: 'after-switch' };

interface HttpAnswer {
  status: number;
  body: string;
}

function request(target: Endpoint, host: string, check: Extract<PostDeployCheck, { type: 'http' }>): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.host, port: target.port, path: check.path, method: check.method, agent: false, timeout: check.timeoutSeconds * 1000, headers: { host, 'user-agent': 'wharf-check' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body.length < 65_536 ? (body += d) : undefined));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${check.timeoutSeconds} s`)));
    req.on('error', reject);
    req.end(check.body);
  });
}

/** The new replicas' endpoints, as their driver reports them (workers have none). */
async function replicaEndpoints(ctx: DeployContext, replicas: readonly ReplicaRecord[]): Promise<Endpoint[]> {
  const ids = new Set(replicas.filter((r) => r.port !== null).map((r) => r.id));
  if (ids.size === 0) return [];
  const statuses = await ctx.runtime.list();
  return replicas.flatMap((r) => {
    const endpoint = ids.has(r.id) ? statuses.find((s) => s.replicaId === r.id)?.endpoint : null;
    return endpoint ? [endpoint] : [];
  });
}

function label(check: PostDeployCheck): string {
  return check.name ?? (check.type === 'http' ? `${check.method} ${check.path}` : check.command);
}

export async function runChecks(ctx: DeployContext, deployment: Deployment, artifact: ArtifactRecord, target: CheckTarget, log: (m: string) => void): Promise<void> {
  const checks = deployment.config.postDeployChecks.filter((c) => c.phase === target.phase);
  if (checks.length === 0) return;
  const names = ctx.store.projects.describeInstance(deployment.instanceId);
  const host = serviceHost(ctx.options, { project: names.project.name, environment: names.environment.name, service: names.service.name });
  // After the switch, checks go through the router: the service's private listener.
  const routed = names.instance.privatePort ?? ctx.options.routerPort;
  const targets = target.phase === 'before-switch' ? await replicaEndpoints(ctx, target.replicas) : [{ host: '127.0.0.1', port: routed }];

  for (const check of checks) {
    log(`check (${target.phase}): ${label(check)}`);
    if (check.type === 'http') {
      for (const endpoint of targets) {
        let answer: HttpAnswer;
        try {
          answer = await request(endpoint, host, check);
        } catch (error) {
          throw new RolloutError(`post-deploy check '${label(check)}' failed: ${(error as Error).message}`, 'FAILED', []);
        }
        if (answer.status !== check.expectStatus) {
          throw new RolloutError(`post-deploy check '${label(check)}' answered ${answer.status}, expected ${check.expectStatus}`, 'FAILED', answer.body.split('\n').slice(0, 10));
        }
        if (check.bodyContains !== undefined && !answer.body.includes(check.bodyContains)) {
          throw new RolloutError(`post-deploy check '${label(check)}': the body does not contain '${check.bodyContains}'`, 'FAILED', answer.body.split('\n').slice(0, 10));
        }
      }
    } else {
      const logFile = path.join(deploymentLogDir(ctx.options.paths.logs, deployment.instanceId, deployment.id), 'checks.log');
      const result = await ctx.runtime.run({
        jobId: newId('job'),
        serviceInstanceId: deployment.instanceId,
        artifact: artifact.ref,
        ...placementOf(ctx, deployment.instanceId),
        command: ['sh', '-c', check.command],
        user: appUserFor(ctx, deployment.instanceId),
        env: { ...jobEnvironment(ctx, deployment, { migration: false }), WHARF_CHECK_URL: endpointUrl(targets[0] ?? { host: '127.0.0.1', port: routed }) },
        logFile,
        timeoutMs: check.timeoutSeconds * 1000,
        secretValues: secretValuesOf(ctx, deployment),
      });
      if (result.exitCode !== 0) {
        const how = result.timedOut ? `timed out after ${check.timeoutSeconds} s` : `exited with code ${result.exitCode ?? result.signal}`;
        throw new RolloutError(`post-deploy check '${label(check)}' ${how}`, 'FAILED', await lastLines(logFile, 15));
      }
    }
    log(`check passed: ${label(check)}`);
  }
}
