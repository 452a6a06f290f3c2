import type { Hono } from 'hono';
import { z } from 'zod';
import { isolationWarnings } from '../../isolation/isolation.js';
import { policyConfigFromEnv, runDoctor } from '../../policy/doctor.js';
import type { ApiDeps } from '../deps.js';
import { resolveProject } from '../resolve.js';

const findingView = z.object({
  rule: z.string(),
  severity: z.enum(['warn', 'block']),
  environment: z.string(),
  service: z.string().optional(),
  key: z.string().optional(),
  message: z.string(),
  hint: z.string(),
});

export function adminRoutes(app: Hono, deps: ApiDeps): void {
  const { store, registry, options, keyring, builds } = deps;

  registry.add({ method: 'get', path: '/v1/projects/:project/doctor', summary: 'The environment policy over every environment of a project (shared secrets, production databases, live payment keys, .env.example); never shows a value', response: z.object({ findings: z.array(findingView), server: z.array(z.string()) }) });
  app.get('/v1/projects/:project/doctor', async (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    // `server`: what this Wharf cannot guarantee as it runs (e.g. no app isolation unless root).
    return c.json({ findings: await runDoctor({ ...deps, builds }, project, policyConfigFromEnv() ?? {}), server: isolationWarnings(options.isolation) });
  });

  registry.add({ method: 'post', path: '/v1/admin/rotate-key', summary: 'Make a new encryption key current and re-encrypt every stored secret with it (old keys stay readable)', response: z.object({ keyId: z.string(), variables: z.number(), deployments: z.number() }) });
  app.post('/v1/admin/rotate-key', (c) => {
    const keyId = keyring.rotate();
    const reencrypt = (token: string) => keyring.reencrypt(token);
    const variables = store.variables.reencryptAll(reencrypt);
    const deployments = store.deployments.reencryptAll(reencrypt);
    // The WAL still holds the pages as they were before: write them back and empty it.
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    store.audit.record('api-token', 'rotate-key', keyId, { variables, deployments });
    return c.json({ keyId, variables, deployments });
  });
}
