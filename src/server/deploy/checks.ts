import http from 'node:http';
import path from 'node:path';
import type { ArtifactRecord, Deployment, ReplicaRecord } from '../../core/model.js';
import type { PostDeployCheck } from '../../core/settings.js';
import { lastLines } from '../observe/log-file.js';
import { deploymentLogDir } from '../observe/log-paths.js';
import { appUserFor } from '../isolation/isolation.js';
import { serviceHost } from '../options.js';
import { newId } from '../store/ids.js';
import type { DeployContext } from './context.js';
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

function request(port: number, host: string, check: Extract<PostDeployCheck, { type: 'http' }>): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: check.path, method: check.method, agent: false, timeout: check.timeoutSeconds * 1000, headers: { host, 'user-agent': 'wharf-check' } },
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
  const ports = target.phase === 'before-switch' ? target.replicas.map((r) => r.port).filter((p): p is number => p !== null) : [routed];

  for (const check of checks) {
    log(`check (${target.phase}): ${label(check)}`);
    if (check.type === 'http') {
      for (const port of ports) {
        let answer: HttpAnswer;
        try {
          answer = await request(port, host, check);
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
        cwd: artifact.releaseDir,
        command: ['sh', '-c', check.command],
        user: appUserFor(ctx, deployment.instanceId),
        env: { ...jobEnvironment(ctx, deployment, { migration: false }), WHARF_CHECK_URL: `http://127.0.0.1:${ports[0] ?? routed}` },
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
