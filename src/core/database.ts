// The seam between Wharf and a database engine on one runtime. A provider knows how to
// initialise, run, wire, back up and restore one engine; the control plane supervises the
// server process like any replica and keeps the records. Postgres, Redis, MySQL/MariaDB and
// MongoDB, as processes (the process runtime) or as containers from images (the docker runtime).

import type { RuntimeName } from './artifact.js';

export const DATABASE_ENGINES = ['postgres', 'redis', 'mysql', 'mongo'] as const;
export type DatabaseEngine = (typeof DATABASE_ENGINES)[number];

/** One database server: one per service instance (so one per environment). */
export interface DatabaseSpec {
  /** Stable id, safe in paths: [a-z0-9_]+. */
  id: string;
  engine: DatabaseEngine;
  /** The service's name, e.g. "db": the namespace of `${{db.DATABASE_URL}}`. */
  name: string;
  /** Owned by the provider: data files, config, sockets, WAL archive. */
  dataDir: string;
  /** Where the server listens, on 127.0.0.1 only. */
  port: number;
  /** Generated once (random) and stored encrypted; the provider decides the keys. */
  credentials: Record<string, string>;
  /**
   * Where the server runs; absent means the process runtime. On docker, `port` is the port
   * published on 127.0.0.1 (host-side tools use it as on the process runtime), the data lives in
   * the volumes of `container()`, and services on the private network reach it by `name`.
   */
  runtime?: RuntimeName;
}

/** A volume of a database container: `wharf-vol-<name>` on the engine, mounted at mountPath. */
export interface DatabaseVolume {
  name: string;
  mountPath: string;
}

/** A command run in a one-shot container of the server's image, with its volumes mounted. */
export interface ContainerStep {
  command: string[];
  env: Record<string, string>;
}

/** How to run the server as a container (the docker runtime). */
export interface DatabaseContainer {
  /** The configured image reference (e.g. `postgres:15`); resolved to its image ID before use. */
  image: string;
  /** A user every supported image has (postgres, redis, mysql, mongodb): the server and its steps run as it. */
  user: string;
  /** The port the engine listens on inside its network. */
  port: number;
  /** The data volume first. */
  volumes: DatabaseVolume[];
  /** Run before every start (initdb, config files inside the volume); idempotent. */
  prepare: ContainerStep | null;
  command: string[];
  env: Record<string, string>;
}

/** How to run the server in the foreground, as a supervised process. */
export interface ServerCommand {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

export interface BackupResult {
  /** The backup file (or directory for a base backup). */
  path: string;
  bytes: number;
  durationMs: number;
  sha256: string;
  /** e.g. pg_dump custom, rdb, mysqldump sql, mongodump archive */
  format: string;
}

/** What a database holds, for restore verification: table (or key space) → row (key) count. */
export type ContentSummary = Record<string, number>;

/** What the engine says about a running database, for the metrics (db_connections, db_size_bytes). */
export interface DatabaseStats {
  /** Client connections to the database now (Wharf's own probe not counted). */
  connections: number;
  /** The data's size as the engine reports it (Redis: memory in use). */
  sizeBytes: number;
}

export interface DatabaseProvider {
  readonly engine: DatabaseEngine;
  /** The binaries this provider needs exist (and match); else a WharfError naming the package to install. */
  check(): Promise<void>;
  /** Fresh random credentials for a new database named `name`. */
  newCredentials(name: string): Record<string, string>;
  /** Initialises an empty data dir (initdb, config files); a no-op on an initialised one. */
  prepare(spec: DatabaseSpec): Promise<void>;
  serverCommand(spec: DatabaseSpec): ServerCommand;
  /** The server as a container, for the docker runtime. Optional: without it the engine is process-only. */
  container?(spec: DatabaseSpec): DatabaseContainer;
  /** Accepts clients for real (a Postgres replaying WAL listens before it does). Optional. */
  ready?(spec: DatabaseSpec): Promise<boolean>;
  /** Once the server accepts connections: users, roles, databases, grants. Idempotent. */
  bootstrap(spec: DatabaseSpec): Promise<void>;
  /** What services get, under Railway's names (DATABASE_URL, PGHOST … / REDIS_URL …). */
  variables(spec: DatabaseSpec): Record<string, string>;
  /** Only for pre-deploy and one-off commands (DATABASE_MIGRATION_URL: may run DDL). */
  migrationVariables(spec: DatabaseSpec): Record<string, string>;
  /** render.yaml `fromDatabase.property` values: connectionString, host, port, user, password, database. */
  property(spec: DatabaseSpec, property: string): string | null;
  backup(spec: DatabaseSpec, file: string): Promise<BackupResult>;
  /** Replaces the running database's contents with the backup's. */
  restore(spec: DatabaseSpec, file: string): Promise<void>;
  inspect(spec: DatabaseSpec): Promise<ContentSummary>;
  /** Connections and size, within `timeoutMs` (a slow or down server is an error, not a wait). Optional. */
  stats?(spec: DatabaseSpec, timeoutMs: number): Promise<DatabaseStats>;
  /** An interactive client with the right credentials (psql, redis-cli, mysql, mongosh). */
  connectCommand(spec: DatabaseSpec): { argv: string[]; env: Record<string, string> };
  /** Point-in-time recovery, where the engine has it (Postgres). */
  pitr?: PointInTimeRecovery;
}

export interface PointInTimeRecovery {
  /** Server settings that archive every WAL segment into the spec's archive (set up by prepare). */
  archiveDir(spec: DatabaseSpec): string;
  /** A base backup the WAL archive replays from. */
  baseBackup(spec: DatabaseSpec, dir: string): Promise<BackupResult>;
  /**
   * Prepares `target` (an empty data dir of a NEW database) from `base` + the source's WAL
   * archive, stopping at `time`; the control plane then starts it like any database.
   */
  prepareRecovery(source: DatabaseSpec, base: string, target: DatabaseSpec, time: Date): Promise<void>;
  /** Archives what has been written so far, so a recovery up to now finds all of it. */
  archiveNow?(spec: DatabaseSpec): Promise<unknown>;
  /** Deletes archived WAL older than the oldest base backup kept. */
  pruneArchive(spec: DatabaseSpec, oldestBaseBackup: string): Promise<void>;
}
