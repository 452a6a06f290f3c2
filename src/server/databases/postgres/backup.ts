import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { WharfError } from '../../../core/errors.js';
import type { BackupResult, ContentSummary, DatabaseSpec } from '../../../core/database.js';
import { capture, type ResolvedBinaries } from './binaries.js';
import { pgCredentials } from './credentials.js';
import { applyGrants } from './roles.js';
import { connArgs, connEnv, connFor, query } from './psql.js';

// Logical backups (pg_dump custom format, as the superuser), restores into the running
// database (as the migration role, which then owns what it restored), and a content summary
// (exact row counts) to verify a restore.

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function backup(bins: ResolvedBinaries, spec: DatabaseSpec, file: string): Promise<BackupResult> {
  const started = Date.now();
  const target = path.resolve(file);
  await mkdir(path.dirname(target), { recursive: true });
  const conn = connFor(spec, 'superuser');
  const r = await capture([bins.client('pg_dump'), '-Fc', ...connArgs(conn), '-f', target], { env: connEnv(conn) });
  if (r.exitCode !== 0) {
    await rm(target, { force: true });
    throw new WharfError('RUNTIME_ERROR', `pg_dump of ${spec.name} failed: ${r.stderr.trim()}`, { hint: 'Is the database running? See its logs.' });
  }
  const { size } = await stat(target);
  return { path: target, bytes: size, durationMs: Date.now() - started, sha256: await sha256File(target), format: 'pg_dump custom' };
}

/**
 * Restores a pg_dump custom-format file into the running database: the dump's objects are
 * dropped and recreated (one transaction: all or nothing) as the migration role, then the
 * app role's grants are applied again. Objects that are not in the dump are left alone.
 */
export async function restore(bins: ResolvedBinaries, spec: DatabaseSpec, file: string): Promise<void> {
  const c = pgCredentials(spec);
  const conn = connFor(spec, 'superuser');
  const argv = [
    bins.client('pg_restore'),
    '--clean',
    '--if-exists',
    '--no-owner',
    '--no-privileges',
    `--role=${c.migrationUser}`,
    '--single-transaction',
    ...connArgs(conn),
    path.resolve(file),
  ];
  const r = await capture(argv, { env: connEnv(conn) });
  if (r.exitCode !== 0) {
    throw new WharfError('RUNTIME_ERROR', `pg_restore into ${spec.name} failed (nothing was changed): ${r.stderr.trim()}`, {
      hint: 'Check that the file is a pg_dump custom-format backup of a Postgres database.',
      details: { stderr: r.stderr },
    });
  }
  await applyGrants(bins, spec);
}

/** Every table outside the system schemas → its exact row count (keys are schema.table). */
export async function inspect(bins: ResolvedBinaries, spec: DatabaseSpec): Promise<ContentSummary> {
  const sql = `SELECT coalesce(json_object_agg(t.name, t.n ORDER BY t.name), '{}')
FROM (
  SELECT format('%s.%s', n.nspname, c.relname) AS name,
         (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint AS n
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
) t`;
  const out = await query(bins, connFor(spec, 'superuser'), sql, 10 * 60_000);
  const parsed = JSON.parse(out.trim() || '{}') as Record<string, number | string>;
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, Number(v)]));
}
