import type { DatabaseSpec, DatabaseStats } from '../../../core/database.js';
import { WharfError } from '../../../core/errors.js';
import type { ResolvedBinaries } from './binaries.js';
import { literal, pgCredentials } from './credentials.js';
import { connFor, query } from './psql.js';

/**
 * Client backends connected to the app database (from pg_stat_activity) and its size
 * (pg_database_size). Asked as the superuser on the `postgres` database, so Wharf's own
 * connection is not among those counted.
 */
export async function stats(bins: ResolvedBinaries, spec: DatabaseSpec, timeoutMs: number): Promise<DatabaseStats> {
  const db = literal(pgCredentials(spec).database);
  const sql = `SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = ${db} AND backend_type = 'client backend') || ' ' || pg_database_size(${db})`;
  const out = (await query(bins, connFor(spec, 'superuser', 'postgres'), sql, timeoutMs)).trim();
  const [connections, sizeBytes] = out.split(' ').map(Number);
  if (!Number.isFinite(connections) || !Number.isFinite(sizeBytes)) throw new WharfError('RUNTIME_ERROR', `Postgres ${spec.name} answered the stats query with '${out.slice(0, 100)}'`);
  return { connections: connections!, sizeBytes: sizeBytes! };
}
