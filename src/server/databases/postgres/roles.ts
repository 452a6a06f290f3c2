import { WharfError } from '../../../core/errors.js';
import type { DatabaseSpec } from '../../../core/database.js';
import type { ResolvedBinaries } from './binaries.js';
import { ident, literal, pgCredentials } from './credentials.js';
import { connFor, query, script } from './psql.js';

// Two roles (seed 004): the migration role owns schema public and may run DDL (and create
// trusted extensions: CREATE on the database); the app role services get reads and writes rows
// but cannot create anything. Default privileges make the migration role's future tables and
// sequences usable by the app role. Every statement is idempotent.

/** Roles and the database, run as the superuser on the maintenance database. */
function rolesScript(spec: DatabaseSpec): string {
  const c = pgCredentials(spec);
  const db = ident(c.database);
  const role = (name: string, pwVar: string) => [
    `SELECT 'CREATE ROLE ${ident(name)} LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal(name)}) \\gexec`,
    `ALTER ROLE ${ident(name)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'${pwVar}';`,
  ];
  return [
    '\\getenv pw_super WHARF_PG_SUPERUSER_PASSWORD',
    '\\getenv pw_app WHARF_PG_APP_PASSWORD',
    '\\getenv pw_migration WHARF_PG_MIGRATION_PASSWORD',
    `ALTER ROLE ${ident(c.superuser)} WITH PASSWORD :'pw_super';`,
    ...role(c.migrationUser, 'pw_migration'),
    ...role(c.appUser, 'pw_app'),
    `SELECT 'CREATE DATABASE ${db} OWNER ${ident(c.superuser)} ENCODING ''UTF8''' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${literal(c.database)}) \\gexec`,
    `REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`,
    `GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${ident(c.appUser)};`,
    `GRANT CONNECT, TEMPORARY, CREATE ON DATABASE ${db} TO ${ident(c.migrationUser)};`,
    '',
  ].join('\n');
}

/** Schema ownership and grants, run as the superuser inside the application database. */
export function grantsSql(spec: DatabaseSpec): string {
  const c = pgCredentials(spec);
  const app = ident(c.appUser);
  const mig = ident(c.migrationUser);
  return [
    'BEGIN;',
    `ALTER SCHEMA public OWNER TO ${mig};`,
    'REVOKE CREATE ON SCHEMA public FROM PUBLIC;',
    `REVOKE CREATE ON SCHEMA public FROM ${app};`,
    `GRANT USAGE ON SCHEMA public TO ${app};`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app};`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${mig} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${mig} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${app};`,
    'COMMIT;',
    '',
  ].join('\n');
}

function passwordEnv(spec: DatabaseSpec): Record<string, string> {
  const c = pgCredentials(spec);
  return {
    WHARF_PG_SUPERUSER_PASSWORD: c.superuserPassword,
    WHARF_PG_APP_PASSWORD: c.appPassword,
    WHARF_PG_MIGRATION_PASSWORD: c.migrationPassword,
  };
}

/** Waits until the server has left recovery (a point-in-time restore promotes itself first). */
async function waitForPrimary(bins: ResolvedBinaries, spec: DatabaseSpec, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const inRecovery = (await query(bins, connFor(spec, 'superuser', 'postgres'), 'SELECT pg_is_in_recovery()')).trim();
    if (inRecovery === 'f') return;
    if (Date.now() > deadline) {
      throw new WharfError('RUNTIME_ERROR', `${spec.name} is still replaying WAL after ${timeoutMs} ms`, { hint: 'Run bootstrap again once recovery has finished (see the server log).' });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function bootstrap(bins: ResolvedBinaries, spec: DatabaseSpec): Promise<void> {
  await waitForPrimary(bins, spec, 10 * 60_000);
  await script(bins, connFor(spec, 'superuser', 'postgres'), rolesScript(spec), passwordEnv(spec));
  await applyGrants(bins, spec);
}

export async function applyGrants(bins: ResolvedBinaries, spec: DatabaseSpec): Promise<void> {
  await script(bins, connFor(spec, 'superuser'), grantsSql(spec));
}
