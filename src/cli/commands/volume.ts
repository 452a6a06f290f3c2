import type { Command } from 'commander';
import { formatBytes } from '../../core/resource-sizes.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { confirm } from '../output/confirm.js';
import { ago, printJson, table } from '../output/table.js';
import { environmentPath } from './plan-apply.js';

// `wharf volume …` (Railway: `railway volume`): the volumes of the linked environment, their
// sizes, and backups as tar.gz files on the server (docs/volumes.md).

interface VolumeView {
  name: string;
  service: string;
  volume: string;
  mountPath: string;
  runtime: string;
  sizeBytes: number | null;
  sizeGB: number | null;
  attached: boolean;
  createdAt: string;
  backups: number;
}

interface BackupView {
  id: string;
  volume: string;
  bytes: number;
  createdAt: string;
}

const volumePath = (ctx: CliContext, globals: GlobalOptions, name: string) => `${environmentPath(ctx, globals)}/volumes/${encodeURIComponent(name)}`;

export function registerVolume(program: Command, ctx: CliContext): void {
  const volume = program.command('volume').alias('volumes').description("Services' volumes: sizes, backups and restores");

  volume
    .command('list', { isDefault: true })
    .alias('ls')
    .description('Volumes of the environment, with the bytes they use')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const volumes = await ctx.client().get<VolumeView[]>(`${environmentPath(ctx, globals)}/volumes`);
      if (globals.json) return printJson(volumes);
      if (volumes.length === 0) return console.log('No volumes. Give a service one in wharf.toml: [[services.web.volumes]] name = "data", mountPath = "/data" (docs/volumes.md).');
      const rows = volumes.map((v) => [
        `${v.service}/${v.volume}`,
        v.mountPath,
        v.sizeBytes === null ? '-' : formatBytes(v.sizeBytes),
        v.runtime,
        String(v.backups),
        v.attached ? ago(v.createdAt) : `${ago(v.createdAt)} (detached)`,
        v.name,
      ]);
      console.log(table(['VOLUME', 'MOUNT', 'SIZE', 'RUNTIME', 'BACKUPS', 'CREATED', 'NAME'], rows));
    });

  volume
    .command('backup')
    .description("Back up a volume now: a tar.gz of its files in the server's backups folder")
    .argument('<volume>', 'service/volume, a service with one volume, or the volume NAME from `wharf volume list`')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const backup = await ctx.client().post<BackupView>(`${volumePath(ctx, globals, name)}/backups`);
      if (globals.json) return printJson(backup);
      console.log(`Backed up ${backup.volume}: ${backup.id} (${formatBytes(backup.bytes)})`);
    });

  volume
    .command('backups')
    .description("A volume's backups, newest first")
    .argument('<volume>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const backups = await ctx.client().get<BackupView[]>(`${volumePath(ctx, globals, name)}/backups`);
      if (globals.json) return printJson(backups);
      if (backups.length === 0) return console.log(`No backups of ${name} yet: \`wharf volume backup ${name}\`.`);
      console.log(table(['BACKUP', 'SIZE', 'CREATED'], backups.map((b) => [b.id, formatBytes(b.bytes), ago(b.createdAt)])));
    });

  volume
    .command('restore')
    .description("Replace a volume's files with a backup (default: the newest); a safety backup is taken first")
    .argument('<volume>')
    .option('-b, --backup <id>', 'the backup to restore (see `wharf volume backups`)')
    .option('-y, --yes', 'do not ask before replacing the files')
    .action(async (name: string, opts: { backup?: string; yes?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      await confirm(`Replace the files of volume ${name} with ${opts.backup ? `backup ${opts.backup}` : 'its newest backup'}? A safety backup is taken first.`, opts.yes);
      const result = await ctx.client().post<{ restored: BackupView; safety: BackupView }>(`${volumePath(ctx, globals, name)}/restore`, opts.backup ? { backup: opts.backup } : {});
      if (globals.json) return printJson(result);
      console.log(`Restored ${result.restored.volume} from ${result.restored.id}; what was there is in backup ${result.safety.id}. Redeploy the service if it caches files: \`wharf redeploy\`.`);
    });
}
