import type { Hono } from 'hono';
import { z } from 'zod';
import { backupRemoteBody, type BackupRemoteView } from '../../../core/backup-remote.js';
import { WharfError } from '../../../core/errors.js';
import { nameSchema } from '../../../core/api.js';
import type { OffsiteCopies } from '../../databases/offsite/offsite-copies.js';
import { S3Bucket } from '../../databases/offsite/s3-bucket.js';
import type { BackupRemote } from '../../store/backup-remotes.js';
import type { BackupRecord } from '../../store/databases.js';
import { jsonBody } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveProject } from '../resolve.js';

const REMOTE = '/v1/projects/:project/backup-remote';
const databaseQuery = z.object({ database: nameSchema.optional() });

export const remoteView = (r: BackupRemote): BackupRemoteView => ({
  database: r.databaseName,
  endpoint: r.endpoint,
  region: r.region,
  bucket: r.bucket,
  prefix: r.prefix,
  pathStyle: r.pathStyle,
  accessKeyId: r.accessKeyHint,
  updatedAt: r.updatedAt,
});

/** Off-site targets of a project's backups, and copying one backup (again) now. */
export function backupRemoteRoutes(app: Hono, deps: ApiDeps, offsite: OffsiteCopies, backupView: (b: BackupRecord) => unknown): void {
  const { store, registry } = deps;

  registry.add({ method: 'put', path: REMOTE, summary: 'Copy backups to an S3-compatible bucket (the project’s, or one database’s with `database`); the keys are stored encrypted and never shown again', body: backupRemoteBody });
  app.put(REMOTE, async (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    const body = await jsonBody(c, backupRemoteBody);
    if (body.database && store.projects.findService(project.id, body.database)?.kind !== 'database') {
      throw new WharfError('NOT_FOUND', `${body.database} is not a database of project ${project.name}`, { hint: 'See `wharf db list`, or leave out --database for every database of the project.' });
    }
    const remote: BackupRemote = { projectId: project.id, databaseName: body.database ?? null, endpoint: new URL(body.endpoint).origin, region: body.region, bucket: body.bucket, prefix: body.prefix, pathStyle: body.pathStyle, accessKeyId: body.accessKeyId, secretAccessKey: body.secretAccessKey, accessKeyHint: '', updatedAt: '' };
    if (!body.skipCheck) {
      const bucket = new S3Bucket(remote);
      try {
        await bucket.check();
      } finally {
        bucket.close();
      }
    }
    return c.json(remoteView(store.backupRemotes.set(remote)));
  });

  registry.add({ method: 'get', path: REMOTE, summary: 'The off-site targets of this project: the project’s and any database’s own (never the secret key)' });
  app.get(REMOTE, (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    return c.json(store.backupRemotes.list(project.id).map(remoteView));
  });

  registry.add({ method: 'delete', path: REMOTE, summary: 'Stop copying backups off-site (the project’s target, or ?database=NAME’s own); copies already made stay in the bucket', query: databaseQuery });
  app.delete(REMOTE, (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    const { database } = databaseQuery.parse({ database: c.req.query('database') });
    if (!store.backupRemotes.delete(project.id, database ?? null)) {
      throw new WharfError('NOT_FOUND', database ? `database ${database} has no off-site target of its own` : 'this project has no off-site target', { hint: 'See `wharf db backups remote show`.' });
    }
    return c.json({ removed: { database: database ?? null } });
  });

  registry.add({ method: 'post', path: '/v1/projects/:project/backups/:backup/upload', summary: 'Copy a backup to its off-site bucket now (after a failure, or one taken before the bucket was configured)' });
  app.post('/v1/projects/:project/backups/:backup/upload', (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    const backup = store.databases.findBackup(c.req.param('backup')!);
    if (!backup || backup.projectId !== project.id) throw new WharfError('NOT_FOUND', `backup '${c.req.param('backup')}' does not exist in this project`, { hint: 'List them with `wharf db list-backups`.' });
    return c.json(backupView(offsite.retryNow(backup)), 202);
  });
}
