import type { Hono } from 'hono';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { jsonBody } from '../body.js';
import { resolveEnvironment } from '../resolve.js';
import type { VolumeEngine } from '../../volumes/engine.js';
import { VolumeService } from '../../volumes/volume-service.js';
import type { RuntimeName } from '../../../core/artifact.js';

// `wharf volume list|backup|backups|restore`: the volumes of one environment (docs/volumes.md).

const ENVIRONMENT = '/v1/projects/:project/environments/:environment';

export const volumeView = z.object({
  name: z.string(),
  service: z.string(),
  volume: z.string(),
  mountPath: z.string(),
  runtime: z.enum(['process', 'docker']),
  sizeBytes: z.number().nullable(),
  sizeGB: z.number().nullable(),
  attached: z.boolean(),
  createdAt: z.string(),
  backups: z.number(),
});
export type VolumeListItem = z.infer<typeof volumeView>;

export const volumeBackupView = z.object({ id: z.string(), volume: z.string(), bytes: z.number(), createdAt: z.string() });
export type VolumeBackupItem = z.infer<typeof volumeBackupView>;

const restoreBody = z.object({ backup: z.string().regex(/^\d{8}T\d{9}Z$/).optional() }).strict();
export const volumeRestoreView = z.object({ restored: volumeBackupView, safety: volumeBackupView });

export function volumeRoutes(app: Hono, deps: ApiDeps, engines: Partial<Record<RuntimeName, VolumeEngine>> = {}): void {
  const { store, registry } = deps;
  const volumes = new VolumeService({ store, options: deps.options, engines });
  const env = (c: { req: { param(name: string): string | undefined } }) => resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!).environment;

  registry.add({ method: 'get', path: `${ENVIRONMENT}/volumes`, summary: 'Volumes of an environment with their size in bytes (as the runtime measures it) and backup count', response: z.array(volumeView) });
  app.get(`${ENVIRONMENT}/volumes`, async (c) => c.json(await volumes.list(env(c).id)));

  registry.add({ method: 'get', path: `${ENVIRONMENT}/volumes/:volume/backups`, summary: 'Backups of a volume (tar.gz files), newest first', response: z.array(volumeBackupView) });
  app.get(`${ENVIRONMENT}/volumes/:volume/backups`, async (c) => {
    const record = volumes.find(env(c).id, c.req.param('volume'));
    return c.json(await volumes.backups(record));
  });

  registry.add({ method: 'post', path: `${ENVIRONMENT}/volumes/:volume/backups`, summary: "Back up a volume now: a tar.gz of its files in the server's backups folder", response: volumeBackupView });
  app.post(`${ENVIRONMENT}/volumes/:volume/backups`, async (c) => {
    const record = volumes.find(env(c).id, c.req.param('volume'));
    return c.json(await volumes.backup(record), 201);
  });

  registry.add({ method: 'post', path: `${ENVIRONMENT}/volumes/:volume/restore`, summary: "Replace a volume's files with a backup (default the newest), after a safety backup", body: restoreBody, response: volumeRestoreView });
  app.post(`${ENVIRONMENT}/volumes/:volume/restore`, async (c) => {
    const record = volumes.find(env(c).id, c.req.param('volume'));
    const body = await jsonBody(c, restoreBody);
    return c.json(await volumes.restore(record, body.backup));
  });
}
