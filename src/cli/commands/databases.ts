import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { RemoteCopyView } from '../../core/backup-remote.js';
import { DATABASE_ENGINES } from '../../core/database.js';
import { WharfError } from '../../core/errors.js';
import { servicePath, type CliContext, type GlobalOptions, type Target } from '../context.js';
import { confirm } from '../output/confirm.js';
import { ago, printJson, table } from '../output/table.js';
import { registerBackupRemote } from './backup-remote.js';
import { databaseTarget } from './database-target.js';
import { environmentPath } from './plan-apply.js';

interface DatabaseView {
  service: string;
  environment: string;
  engine: string;
  status: string;
  port: number;
  backupSchedule: string | null;
  verifySchedule: string | null;
  lastBackup: BackupView | null;
  variables: string[];
}

interface BackupView {
  id: string;
  kind: string;
  status: string;
  bytes: number | null;
  durationMs: number | null;
  sha256: string | null;
  format: string | null;
  verifyStatus: string | null;
  createdAt: string;
  error: string | null;
  remote: RemoteCopyView | null;
}

/** pending, uploaded, failed (3): …, or '' when no bucket was configured. */
const remoteText = (r: RemoteCopyView | null) => (!r ? '' : r.status === 'failed' ? `failed (${r.attempts})${r.nextAttemptAt ? '' : ', gave up'}` : r.status);

const size = (bytes: number | null) => (bytes === null ? '' : bytes > 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

export function registerDatabases(program: Command, ctx: CliContext): void {
  program
    .command('add')
    .description('Add a managed database to this environment: postgres, redis, mysql or mongo (its variables, e.g. ${{postgres.DATABASE_URL}}, are ready to reference)')
    .argument('<engine>', DATABASE_ENGINES.join(' | '))
    .option('--name <name>', 'service name (default: the engine)')
    .action(async (engine: string, opts: { name?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      if (!(DATABASE_ENGINES as readonly string[]).includes(engine)) {
        throw new WharfError('BAD_REQUEST', `'${engine}' is not a database Wharf manages`, { hint: `Use one of ${DATABASE_ENGINES.join(', ')}.` });
      }
      if (!globals.json) console.log(`Provisioning ${engine}…`);
      const db = await ctx.client().post<DatabaseView>(`${environmentPath(ctx, globals)}/databases`, { engine, ...(opts.name ? { name: opts.name } : {}) });
      if (globals.json) return printJson(db);
      console.log(`${db.engine} database '${db.service}' is ready in ${db.environment} (127.0.0.1:${db.port}).`);
      const url = { postgres: 'DATABASE_URL', redis: 'REDIS_URL', mysql: 'MYSQL_URL', mongo: 'MONGO_URL' }[db.engine] ?? 'DATABASE_URL';
      console.log(`Reference it from a service: wharf variables -s web --set '${url}=\${{${db.service}.${url}}}'`);
    });

  const dbCommand = program.command('db').description('Managed databases: list, backups, restore, point-in-time recovery, connect (each takes --database NAME; default: the only one)');
  // Every subcommand names its database the same way: --database NAME, or NAME as before.
  const target = (globals: GlobalOptions, opts: { database?: string }, name?: string, options: { orDeleted?: boolean } = {}) => {
    if (name && opts.database && name !== opts.database) throw new WharfError('BAD_REQUEST', `two databases given: ${name} and --database ${opts.database}`, { hint: 'Give one of them.' });
    return databaseTarget(ctx, globals, opts.database ?? name, options);
  };
  const DATABASE_OPTION = ['--database <name>', 'the database (default: the linked one if it is a database, else the environment’s only one)'] as const;

  dbCommand
    .command('list', { isDefault: true })
    .description('Databases of this environment')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const list = await ctx.client().get<DatabaseView[]>(`${environmentPath(ctx, globals)}/databases`);
      if (globals.json) return printJson(list);
      if (list.length === 0) return console.log('No databases. Add one with `wharf add postgres`.');
      console.log(table(['DATABASE', 'ENGINE', 'STATUS', 'PORT', 'BACKUPS', 'LAST BACKUP'], list.map((d) => [d.service, d.engine, d.status, String(d.port), d.backupSchedule ?? 'manual', d.lastBackup ? `${d.lastBackup.kind} ${ago(d.lastBackup.createdAt)}` : 'none'])));
    });

  dbCommand
    .command('backup')
    .description('Back up a database now (--base: a base backup for point-in-time recovery)')
    .argument('[name]', 'database service name (or --database)')
    .option(...DATABASE_OPTION)
    .option('--base', 'a base backup for point-in-time recovery (Postgres)')
    .action(async (name: string | undefined, opts: { base?: boolean; database?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const backup = await ctx.client().post<BackupView>(servicePath(await target(globals, opts, name), `/database/backups${opts.base ? '?base=1' : ''}`));
      if (globals.json) return printJson(backup);
      console.log(`Backup ${backup.id}: ${backup.status}, ${size(backup.bytes)} in ${backup.durationMs} ms, sha256 ${backup.sha256?.slice(0, 16)}…`);
      if (backup.remote) console.log('Copying it off-site in the background (see `wharf db list-backups`).');
    });

  dbCommand
    .command('list-backups')
    .description("A database's backups, newest first (final backups of deleted databases of that name too)")
    .argument('[name]', 'database service name (or --database)')
    .option(...DATABASE_OPTION)
    .action(async (name: string | undefined, opts: { database?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const list = await ctx.client().get<BackupView[]>(servicePath(await target(globals, opts, name, { orDeleted: true }), '/database/backups'));
      if (globals.json) return printJson(list);
      if (list.length === 0) return console.log('No backups yet: `wharf db backup`.');
      console.log(table(['BACKUP', 'KIND', 'STATUS', 'SIZE', 'DURATION', 'VERIFIED', 'OFF-SITE', 'CREATED'], list.map((b) => [b.id, b.kind, b.status, size(b.bytes), b.durationMs === null ? '' : `${b.durationMs} ms`, b.verifyStatus ?? '', remoteText(b.remote), ago(b.createdAt)])));
      for (const b of list.filter((x) => x.remote?.status === 'failed')) console.log(`${b.id}: ${b.remote!.error}`);
    });

  dbCommand
    .command('restore')
    .description('Restore a backup in place (after a safety backup), or with --to into a new database; --to-time for point-in-time recovery (into a new database)')
    .argument('[backup]', 'backup id (see `wharf db list-backups`), or --backup')
    .option('--backup <id>', 'the backup to restore (the same as the argument)')
    .option('--to <name>', 'restore into a new database service of this name')
    .option('--to-time <time>', 'point in time, e.g. "2026-11-20 14:03:00" (UTC) or an ISO time')
    .option(...DATABASE_OPTION)
    .option('-y, --yes', 'do not ask before replacing the data in place')
    .action(async (given: string | undefined, opts: { backup?: string; to?: string; toTime?: string; database?: string; yes?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      if (given && opts.backup && given !== opts.backup) throw new WharfError('BAD_REQUEST', `two backups given: ${given} and --backup ${opts.backup}`, { hint: 'Give one of them.' });
      const backup = given ?? opts.backup;
      if (!backup && !opts.toTime) throw new WharfError('BAD_REQUEST', 'give a backup (--backup ID) or --to-time', { hint: 'List backups with `wharf db list-backups`.' });
      // A backup id names its database: no --database needed, whatever this folder is linked to.
      const client = ctx.client();
      let t: Target;
      if (backup && !opts.database) {
        const { project } = ctx.project(globals);
        const found = await client.get<{ databaseName: string; environment: string }>(`/v1/projects/${encodeURIComponent(project)}/backups/${encodeURIComponent(backup)}`);
        t = { project, environment: globals.environment ?? found.environment, service: found.databaseName };
      } else t = await databaseTarget(ctx, globals, opts.database);
      if (!opts.to && !opts.toTime) await confirm(`Replace the data of ${t.service} with backup ${backup}? A safety backup is taken first.`, opts.yes);
      const toTime = opts.toTime ? new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(opts.toTime) ? opts.toTime : `${opts.toTime.replace(' ', 'T')}Z`).toISOString() : undefined;
      const result = await client.post<{ database: DatabaseView; safetyBackup?: BackupView }>(servicePath(t, '/database/restore'), {
        ...(backup ? { backup } : {}),
        ...(toTime ? { toTime } : {}),
        ...(opts.to ? { to: opts.to } : {}),
      });
      if (globals.json) return printJson(result);
      if (result.safetyBackup) console.log(`Safety backup ${result.safetyBackup.id} taken first.`);
      console.log(`Restored into ${result.database.service} (${result.database.engine}, 127.0.0.1:${result.database.port}).`);
    });

  dbCommand
    .command('fork')
    .description('Clone a database into another environment (e.g. to seed a preview) from a backup or a point in time')
    .argument('[name]', 'database service name (or --database)')
    .option(...DATABASE_OPTION)
    .requiredOption('--to-env <environment>', 'target environment')
    .option('--backup <id>', 'backup to clone (default: a fresh one)')
    .option('--to-time <time>', 'point in time instead of a backup')
    .action(async (name: string | undefined, opts: { toEnv: string; backup?: string; toTime?: string; database?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const t = await target(globals, opts, name);
      const client = ctx.client();
      let backup = opts.backup;
      if (!backup && !opts.toTime) backup = (await client.post<BackupView>(servicePath(t, '/database/backups'))).id;
      const toTime = opts.toTime ? new Date(opts.toTime).toISOString() : undefined;
      const result = await client.post<{ database: DatabaseView }>(servicePath(t, '/database/restore'), { environment: opts.toEnv, ...(backup && !toTime ? { backup } : {}), ...(toTime ? { toTime } : {}) });
      if (globals.json) return printJson(result);
      console.log(`Forked ${t.service} into ${result.database.environment} as ${result.database.service}.`);
    });

  dbCommand
    .command('verify')
    .description('Restore the latest (or a given) backup into a scratch server and record its tables and row counts')
    .argument('[name]', 'database service name (or --database)')
    .option(...DATABASE_OPTION)
    .option('--backup <id>', 'the backup to verify (default: the latest)')
    .action(async (name: string | undefined, opts: { backup?: string; database?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const result = await ctx.client().post<{ backup: BackupView; summary: Record<string, number> }>(servicePath(await target(globals, opts, name), '/database/verify'), opts.backup ? { backup: opts.backup } : {});
      if (globals.json) return printJson(result);
      console.log(`Backup ${result.backup.id} restores: ${result.backup.verifyStatus}`);
      console.log(table(['TABLE', 'ROWS'], Object.entries(result.summary).map(([k, v]) => [k, String(v)])));
    });

  dbCommand
    .command('schedule')
    .description('Backup schedule (cron, UTC) and retention, and the verification schedule')
    .argument('[name]', 'database service name (or --database)')
    .option(...DATABASE_OPTION)
    .option('--backups <cron>', 'e.g. "0 3 * * *"; "off" to stop')
    .option('--keep <count>', 'backups to keep')
    .option('--max-age <days>', 'delete backups older than this')
    .option('--verify <cron>', 'restore verification schedule; "off" to stop')
    .action(async (name: string | undefined, opts: { backups?: string; keep?: string; maxAge?: string; verify?: string; database?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const off = (v: string | undefined) => (v === undefined ? undefined : v === 'off' ? null : v);
      const body = {
        ...(opts.backups !== undefined ? { backupSchedule: off(opts.backups) } : {}),
        ...(opts.keep ? { backupKeep: Number(opts.keep) } : {}),
        ...(opts.maxAge ? { backupMaxAgeDays: Number(opts.maxAge) } : {}),
        ...(opts.verify !== undefined ? { verifySchedule: off(opts.verify) } : {}),
      };
      const db = await ctx.client().patch<DatabaseView>(servicePath(await target(globals, opts, name), '/database/schedule'), body);
      if (globals.json) return printJson(db);
      console.log(`${db.service}: backups ${db.backupSchedule ?? 'manual only'}, verification ${db.verifySchedule ?? 'off'}`);
    });

  registerBackupRemote(dbCommand, ctx);

  dbCommand
    .command('url')
    .description("Print the database's connection URL (--migration: the migration role's)")
    .argument('[name]', 'database service name (or --database)')
    .option(...DATABASE_OPTION)
    .option('--migration', "the migration role's URL (may run DDL)")
    .action(async (name: string | undefined, opts: { migration?: boolean; database?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const { url } = await ctx.client().get<{ url: string }>(servicePath(await target(globals, opts, name), `/database/url${opts.migration ? '?migration=1' : ''}`));
      console.log(url);
    });

  dbCommand
    .command('connect')
    .description('Open psql / redis-cli / mysql / mongosh connected to the database (on the machine the server runs on)')
    .argument('[name]', 'database service name (or --database)')
    .option(...DATABASE_OPTION)
    .action(async (name: string | undefined, opts: { database?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const { argv, env } = await ctx.client().get<{ argv: string[]; env: Record<string, string> }>(servicePath(await target(globals, opts, name), '/database/connect'));
      const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', env: { ...process.env, ...env } });
      process.exitCode = await new Promise<number>((resolve, reject) => {
        child.on('error', (error: NodeJS.ErrnoException) => reject(new WharfError('NOT_FOUND', `cannot run ${argv[0]}: ${error.code ?? error.message}`, { hint: 'Install the database client on this machine.' })));
        child.on('exit', (code) => resolve(code ?? 1));
      });
    });

  dbCommand
    .command('delete')
    .description('Delete a database: a final backup is taken and kept (always name it: no default)')
    .argument('[name]', 'database service name (or --database)')
    .option('--database <name>', 'the database to delete')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (given: string | undefined, opts: { database?: string; yes?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      if (!given && !opts.database) throw new WharfError('BAD_REQUEST', 'name the database to delete', { hint: 'e.g. `wharf db delete --database db --yes` (see `wharf db list`).' });
      const t = await target(globals, opts, given);
      const name = t.service;
      await confirm(`Delete database ${name} and its data (a final backup is kept)?`, opts.yes);
      const result = await ctx.client().delete<{ deleted: string; finalBackup: BackupView | null }>(`${servicePath(t, '/database')}?confirm=${encodeURIComponent(name)}`);
      if (globals.json) return printJson(result);
      console.log(`Deleted ${result.deleted}.${result.finalBackup ? ` Final backup: ${result.finalBackup.id} (restore with \`wharf db restore --backup ${result.finalBackup.id} --to ${name}\`).` : ''}`);
    });
}
