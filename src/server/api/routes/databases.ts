import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { DATABASE_ENGINES } from '../../../core/database.js';
import { WharfError } from '../../../core/errors.js';
import { nameSchema } from '../../../core/api.js';
import type { BackupService } from '../../databases/backups.js';
import type { DatabaseManager } from '../../databases/manager.js';
import { parseSchedule } from '../../../shared/cron-schedule.js';
import type { BackupRecord, DatabaseRecord } from '../../store/databases.js';
import { flag, jsonBody } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { resolveEnvironment, resolveInstance, resolveProject } from '../resolve.js';
import { backupRemoteRoutes } from './backup-remotes.js';
import { SERVICE } from './services.js';

const ENVIRONMENT = '/v1/projects/:project/environments/:environment';

const addBody = z.object({ engine: z.enum(DATABASE_ENGINES), name: nameSchema.optional() }).strict();
const restoreBody = z
  .object({
    backup: z.string().max(64).optional(),
    toTime: z.iso.datetime({ offset: true }).optional(),
    /** Restore into a new database service of this name instead of in place. */
    to: nameSchema.optional(),
    /** Into another environment (fork), with the same service name unless `to`. */
    environment: nameSchema.optional(),
  })
  .strict()
  .refine((b) => b.backup !== undefined || b.toTime !== undefined, { message: 'give a backup id or toTime' })
  .refine((b) => b.toTime === undefined || b.to !== undefined || b.environment !== undefined, { message: 'a point-in-time restore goes into a new database: give `to` or `environment`' });
const scheduleBody = z
  .object({
    backupSchedule: z.string().min(1).nullable().optional(),
    backupKeep: z.number().int().min(1).max(1000).optional(),
    backupMaxAgeDays: z.number().int().min(1).max(3650).optional(),
    verifySchedule: z.string().min(1).nullable().optional(),
  })
  .strict();

const backupView = (b: BackupRecord) => {
  const { path: _path, projectId: _p, environmentId: _e, remote, ...rest } = b;
  const { endpoint: _endpoint, ...copy } = remote ?? { endpoint: null };
  return { ...rest, remote: remote ? copy : null };
};

export interface DatabaseDeps {
  manager: DatabaseManager;
  backups: BackupService;
}

export function databaseRoutes(app: Hono, deps: ApiDeps, db: DatabaseDeps): void {
  const { store, registry } = deps;
  const { manager, backups } = db;

  const view = (record: DatabaseRecord) => {
    const ctx = store.projects.describeInstance(record.instanceId);
    const last = store.databases.backups(record.id).find((b) => b.kind !== 'base');
    return {
      service: ctx.service.name,
      environment: ctx.environment.name,
      engine: record.engine,
      status: record.status,
      detail: record.detail,
      host: '127.0.0.1',
      port: record.port,
      backupSchedule: record.backupSchedule,
      backupKeep: record.backupKeep,
      backupMaxAgeDays: record.backupMaxAgeDays,
      verifySchedule: record.verifySchedule,
      lastBackup: last ? backupView(last) : null,
      variables: Object.keys(manager.variablesOf(record.instanceId) ?? {}),
      createdAt: record.createdAt,
    };
  };
  const databaseOf = (c: Context) => {
    const ctx = resolveInstance(store, c.req.param('project')!, c.req.param('environment')!, c.req.param('service')!);
    const record = store.databases.forInstance(ctx.instance.id);
    if (!record) throw new WharfError('NOT_FOUND', `${ctx.service.name} is not a database in ${ctx.environment.name}`, { hint: 'Add one with `wharf add postgres --name db`.' });
    return { ctx, record };
  };

  registry.add({ method: 'post', path: `${ENVIRONMENT}/databases`, summary: 'Provision a database (postgres, redis, mysql, mongo) in this environment; waits until it accepts connections', body: addBody });
  app.post(`${ENVIRONMENT}/databases`, async (c) => {
    const { project, environment } = resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!);
    const body = await jsonBody(c, addBody);
    const name = body.name ?? body.engine;
    const existing = store.projects.findService(project.id, name);
    if (existing && existing.kind !== 'database') throw new WharfError('CONFLICT', `'${name}' is already a ${existing.kind} service`, { hint: 'Pick another --name.' });
    if (!existing) store.projects.createService(project.id, name, 'database');
    const ctx = resolveInstance(store, project.name, environment.name, name);
    const record = await manager.provision(ctx, body.engine);
    // The first base backup: point-in-time recovery can start from now.
    if (manager.providers[record.engine]?.pitr) await backups.baseBackup(record);
    return c.json(view(store.databases.get(record.id)), 201);
  });

  registry.add({ method: 'get', path: '/v1/projects/:project/backups/:backup', summary: 'One backup, with the database and environment it belongs to' });
  app.get('/v1/projects/:project/backups/:backup', (c) => {
    const project = resolveProject(store, c.req.param('project')!);
    const backup = store.databases.findBackup(c.req.param('backup')!);
    if (!backup || backup.projectId !== project.id) throw new WharfError('NOT_FOUND', `backup '${c.req.param('backup')}' does not exist in this project`, { hint: 'List them with `wharf db list-backups`.' });
    return c.json({ ...backupView(backup), environment: store.projects.getEnvironment(backup.environmentId).name });
  });

  registry.add({ method: 'get', path: `${ENVIRONMENT}/databases`, summary: 'Databases of this environment' });
  app.get(`${ENVIRONMENT}/databases`, (c) => {
    const { project, environment } = resolveEnvironment(store, c.req.param('project')!, c.req.param('environment')!);
    const list = store.projects
      .listServices(project.id)
      .filter((s) => s.kind === 'database')
      .map((s) => store.projects.findInstance(s.id, environment.id))
      .map((i) => (i ? store.databases.forInstance(i.id) : null))
      .filter((r): r is DatabaseRecord => r !== null);
    return c.json(list.map(view));
  });

  registry.add({ method: 'get', path: `${SERVICE}/database`, summary: 'One database: engine, status, port, schedules, last backup, the variables it offers' });
  app.get(`${SERVICE}/database`, (c) => c.json(view(databaseOf(c).record)));

  registry.add({ method: 'get', path: `${SERVICE}/database/url`, summary: "The database's connection URL for services (app role); ?migration=1 the migration role's", query: z.object({ migration: z.string().optional() }) });
  app.get(`${SERVICE}/database/url`, (c) => {
    const { record } = databaseOf(c);
    const spec = manager.spec(record);
    const provider = manager.providers[record.engine]!;
    const vars = flag(c.req.query('migration')) ? provider.migrationVariables(spec) : provider.variables(spec);
    const url = vars.DATABASE_MIGRATION_URL ?? vars.DATABASE_URL ?? vars.REDIS_URL ?? vars.MYSQL_URL ?? vars.MONGO_URL;
    return c.json({ url });
  });

  registry.add({ method: 'get', path: `${SERVICE}/database/connect`, summary: 'The client command (argv and environment) that connects to the database, for `wharf db connect` on the same machine' });
  app.get(`${SERVICE}/database/connect`, (c) => {
    const { record } = databaseOf(c);
    return c.json(manager.providers[record.engine]!.connectCommand(manager.spec(record)));
  });

  registry.add({ method: 'post', path: `${SERVICE}/database/backups`, summary: 'Back up now (or a base backup for point-in-time recovery with ?base=1)', query: z.object({ base: z.string().optional() }) });
  app.post(`${SERVICE}/database/backups`, async (c) => {
    const { record } = databaseOf(c);
    const done = flag(c.req.query('base')) ? await backups.baseBackup(record) : await backups.backup(record, 'manual');
    return c.json(backupView(done), 201);
  });

  registry.add({ method: 'get', path: `${SERVICE}/database/backups`, summary: 'Backups of this database (and of earlier databases of the same name here, e.g. the final backup of a deleted one)' });
  app.get(`${SERVICE}/database/backups`, (c) => {
    const ctx = resolveInstance(store, c.req.param('project')!, c.req.param('environment')!, c.req.param('service')!);
    return c.json(store.databases.backupsByName(ctx.project.id, ctx.environment.id, ctx.service.name).map(backupView));
  });

  registry.add({ method: 'post', path: `${SERVICE}/database/restore`, summary: 'Restore a backup in place (after a safety backup) or into a new database (`to`, `environment`), or a point in time (`toTime`) into a new one', body: restoreBody });
  app.post(`${SERVICE}/database/restore`, async (c) => {
    const { ctx, record } = databaseOf(c);
    const body = await jsonBody(c, restoreBody);
    const targetEnvironment = body.environment ?? ctx.environment.name;
    const intoNew = body.to !== undefined || body.environment !== undefined;
    const target = () => {
      const name = body.to ?? ctx.service.name;
      if (!store.projects.findService(ctx.project.id, name)) store.projects.createService(ctx.project.id, name, 'database');
      return resolveInstance(store, ctx.project.name, targetEnvironment, name);
    };
    if (body.toTime) {
      const created = await backups.restoreToTime(record, new Date(body.toTime), target());
      return c.json({ database: view(created) });
    }
    const backup = store.databases.findBackup(body.backup!);
    if (!backup || backup.projectId !== ctx.project.id) throw new WharfError('NOT_FOUND', `backup '${body.backup}' does not exist in this project`, { hint: 'List them with `wharf db list-backups`.' });
    if (intoNew) {
      const created = await backups.restoreInto(backup, target());
      return c.json({ database: view(created) });
    }
    const safety = await backups.restoreInPlace(record, backup);
    return c.json({ database: view(record), safetyBackup: backupView(safety) });
  });

  registry.add({ method: 'post', path: `${SERVICE}/database/verify`, summary: 'Restore the latest (or a given) backup into a scratch server and record its tables and row counts', body: z.object({ backup: z.string().optional() }).strict() });
  app.post(`${SERVICE}/database/verify`, async (c) => {
    const { record } = databaseOf(c);
    const body = await jsonBody(c, z.object({ backup: z.string().optional() }).strict());
    const backup = body.backup ? store.databases.findBackup(body.backup) : store.databases.backups(record.id).find((b) => b.status === 'SUCCEEDED' && b.kind !== 'base');
    if (!backup) throw new WharfError('NOT_FOUND', 'no backup to verify', { hint: 'Take one with `wharf db backup`.' });
    const summary = await backups.verify(backup);
    return c.json({ backup: backupView(store.databases.getBackup(backup.id)), summary });
  });

  registry.add({ method: 'patch', path: `${SERVICE}/database/schedule`, summary: 'Backup schedule (cron, UTC), retention (count and age) and verification schedule', body: scheduleBody });
  app.patch(`${SERVICE}/database/schedule`, async (c) => {
    const { record } = databaseOf(c);
    const body = await jsonBody(c, scheduleBody);
    for (const expr of [body.backupSchedule, body.verifySchedule]) if (expr) parseSchedule(expr);
    store.databases.setSchedule(record.id, body);
    return c.json(view(store.databases.get(record.id)));
  });

  registry.add({ method: 'delete', path: `${SERVICE}/database`, summary: 'Delete the database after a final backup (kept); ?confirm=<name> is required', query: z.object({ confirm: z.string() }) });
  app.delete(`${SERVICE}/database`, async (c) => {
    const { ctx, record } = databaseOf(c);
    manager.checkDeletable(record, c.req.query('confirm'));
    const final = record.status === 'READY' ? await backups.backup(record, 'final') : null;
    await manager.destroy(record);
    return c.json({ deleted: ctx.service.name, finalBackup: final ? backupView(final) : null });
  });

  if (backups.offsite) backupRemoteRoutes(app, deps, backups.offsite, backupView);
}
