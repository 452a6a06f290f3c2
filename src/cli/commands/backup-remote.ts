import type { Command } from 'commander';
import { backupRemoteBody, type BackupRemoteView } from '../../core/backup-remote.js';
import { WharfError } from '../../core/errors.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { ago, printJson, table } from '../output/table.js';

interface SetOptions {
  endpoint: string;
  bucket: string;
  region: string;
  prefix?: string;
  accessKeyId?: string;
  secretAccessKeyStdin?: boolean;
  pathStyle: boolean;
  database?: string;
  skipCheck?: boolean;
}

/** The secret from stdin: piped whole, or typed on a terminal without echo. */
async function readSecret(): Promise<string> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) text += String(chunk);
    return text.replace(/\r?\n$/, '');
  }
  stderr.write('Secret access key (not shown): ');
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (data: Buffer) => {
        for (const ch of data.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return done(() => resolve(value));
          if (ch === '\u0003') return done(() => reject(new WharfError('BAD_REQUEST', 'cancelled')));
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      const done = (settle: () => void) => {
        stdin.off('data', onData);
        settle();
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    stderr.write('\n');
  }
}

const env = (...names: string[]) => names.map((n) => process.env[n]).find((v) => v !== undefined && v !== '');

/** `wharf db backups …`: the off-site bucket backups are copied to, and copying one now. */
export function registerBackupRemote(dbCommand: Command, ctx: CliContext): void {
  const backups = dbCommand.command('backups').description('Off-site copies of backups in an S3-compatible bucket (AWS S3, MinIO, R2, B2, Garage …)');
  const remote = backups.command('remote').description('The bucket backups are copied to: the project’s, or one database’s own');
  const base = (globals: GlobalOptions) => `/v1/projects/${encodeURIComponent(ctx.project(globals).project)}`;

  remote
    .command('set')
    .description('Copy every new backup to this bucket (the secret key is read from stdin or WHARF_S3_SECRET_ACCESS_KEY / AWS_SECRET_ACCESS_KEY, never from the command line)')
    .requiredOption('--endpoint <url>', 'the S3 API, e.g. https://s3.eu-west-1.amazonaws.com, https://ACCOUNT.r2.cloudflarestorage.com, http://127.0.0.1:9000')
    .requiredOption('--bucket <name>', 'an existing bucket')
    .option('--region <region>', 'the bucket’s region (R2: auto)', 'us-east-1')
    .option('--prefix <path>', 'a folder in the bucket, e.g. wharf/backups')
    .option('--access-key-id <id>', 'default: WHARF_S3_ACCESS_KEY_ID or AWS_ACCESS_KEY_ID')
    .option('--secret-access-key-stdin', 'read the secret access key from stdin (piped, or typed without echo)')
    .option('--no-path-style', 'address the bucket as https://BUCKET.endpoint (virtual-hosted style) instead of https://endpoint/BUCKET')
    .option('--database <name>', 'only for this database (default: every database of the project)')
    .option('--skip-check', 'store it without first checking that the bucket answers to these keys')
    .action(async (opts: SetOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const accessKeyId = opts.accessKeyId ?? env('WHARF_S3_ACCESS_KEY_ID', 'AWS_ACCESS_KEY_ID');
      if (!accessKeyId) throw new WharfError('BAD_REQUEST', 'no access key id', { hint: 'Pass --access-key-id ID or set WHARF_S3_ACCESS_KEY_ID.' });
      const secretAccessKey = opts.secretAccessKeyStdin ? await readSecret() : env('WHARF_S3_SECRET_ACCESS_KEY', 'AWS_SECRET_ACCESS_KEY');
      if (!secretAccessKey) {
        throw new WharfError('BAD_REQUEST', 'no secret access key', { hint: 'Pipe it in with --secret-access-key-stdin (e.g. `pass s3/wharf | wharf db backups remote set … --secret-access-key-stdin`) or set WHARF_S3_SECRET_ACCESS_KEY.' });
      }
      const parsed = backupRemoteBody.safeParse({
        ...(opts.database ? { database: opts.database } : {}),
        endpoint: opts.endpoint,
        region: opts.region,
        bucket: opts.bucket,
        ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
        pathStyle: opts.pathStyle,
        accessKeyId,
        secretAccessKey,
        skipCheck: Boolean(opts.skipCheck),
      });
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new WharfError('BAD_REQUEST', `${String(issue.path[0] ?? 'remote')}: ${issue.message}`, { hint: 'See `wharf db backups remote set --help`.' });
      }
      if (!globals.json) console.log(opts.skipCheck ? 'Saving…' : `Checking bucket ${opts.bucket}…`);
      const view = await ctx.client().put<BackupRemoteView>(`${base(globals)}/backup-remote`, parsed.data);
      if (globals.json) return printJson(view);
      console.log(`New backups of ${view.database ?? 'every database of the project'} are copied to s3://${view.bucket}/${view.prefix ? `${view.prefix}/` : ''} at ${view.endpoint} (key ${view.accessKeyId}).`);
    });

  remote
    .command('show')
    .description('Where backups are copied (never the secret key)')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const list = await ctx.client().get<BackupRemoteView[]>(`${base(globals)}/backup-remote`);
      if (globals.json) return printJson(list);
      if (list.length === 0) return console.log('Backups stay on this machine only. Copy them off-site with `wharf db backups remote set`.');
      console.log(table(['FOR', 'ENDPOINT', 'BUCKET', 'PREFIX', 'REGION', 'ADDRESSING', 'KEY ID', 'UPDATED'], list.map((r) => [r.database ?? '(project)', r.endpoint, r.bucket, r.prefix, r.region, r.pathStyle ? 'path' : 'virtual-hosted', r.accessKeyId, ago(r.updatedAt)])));
    });

  remote
    .command('unset')
    .description('Stop copying backups off-site (copies already in the bucket stay there)')
    .option('--database <name>', 'the database’s own target (default: the project’s)')
    .action(async (opts: { database?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const result = await ctx.client().delete<{ removed: { database: string | null } }>(`${base(globals)}/backup-remote${opts.database ? `?database=${encodeURIComponent(opts.database)}` : ''}`);
      if (globals.json) return printJson(result);
      console.log(`Backups of ${opts.database ?? 'the project'} are no longer copied off-site${opts.database ? ' to its own bucket' : ''}.`);
    });

  backups
    .command('upload')
    .description('Copy a backup to the bucket now (after a failed upload, or one taken before the bucket was configured)')
    .argument('<backup>', 'backup id (see `wharf db list-backups`)')
    .action(async (backup: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const result = await ctx.client().post<{ id: string; remote: { status: string } | null }>(`${base(globals)}/backups/${encodeURIComponent(backup)}/upload`);
      if (globals.json) return printJson(result);
      console.log(`Backup ${result.id}: off-site copy ${result.remote?.status ?? 'queued'}; follow with \`wharf db list-backups\`.`);
    });
}
