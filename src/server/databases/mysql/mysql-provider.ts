import fs from 'node:fs';
import path from 'node:path';
import type { BackupResult, ContentSummary, DatabaseProvider, DatabaseSpec, DatabaseStats, ServerCommand } from '../../../core/database.js';
import { WharfError } from '../../../core/errors.js';
import { generateSecret } from '../../variables/generate.js';
import { MYSQL_INSTALL_HINT, mysqlBinaries } from './mysql-binaries.js';
import { databaseRuntime } from '../docker/runtime-choice.js';
import { accessDenied, asRoot, mysqlCredentials, rootQuery, sqlFailure } from './mysql-client.js';
import { clientOptions, databaseNameFor, mysqlConfigFile, mysqlDataDir, mysqlTmpDir, serverConfig, sqlIdent, sqlString } from './mysql-config.js';
import { fileDigest, requireBinary, runTool, runningAsRoot, toolEnv, writePrivateFile } from '../tools.js';
import type { DockerTools } from '../docker/docker-tools.js';
import { MYSQL_CONTAINER_PORT, mysqlContainer } from './container.js';

// MariaDB (or MySQL) from the system's binaries. One server per database: root (socket and
// loopback, with a password) administers it; services get an app user with every privilege on
// their one database, under Railway's MYSQL* names. Backups are mariadb-dump SQL of that database
// (without CREATE DATABASE/USE, so a backup restores into a database of any name); restore
// drops and recreates the database and loads the dump through the client's stdin.

const APP_USER = 'app';
const INITIALISED = '.wharf-initialised';
const LOOPBACK_ROOTS = ['localhost', '127.0.0.1', '::1'];

/** `--user=root` where we are root: mariadbd refuses to run as root unless told to. */
const userArgs = () => (runningAsRoot() ? ['--user=root'] : []);

/** Batch mode escapes \t \n \0 and \\ in values. */
const unescapeBatch = (value: string) => value.replace(/\\([tn0\\])/g, (_, c: string) => ({ t: '\t', n: '\n', '0': '\0', '\\': '\\' })[c]!);

export function createMysqlProvider(opts: { binDir?: string; docker?: DockerTools } = {}): DatabaseProvider {
  const bins = () => mysqlBinaries(opts.binDir);
  /** The client and dump tools: all the host needs when the server is an image's. */
  const tools = () => ({ client: requireBinary(['mariadb', 'mysql'], opts.binDir, MYSQL_INSTALL_HINT), dump: requireBinary(['mariadb-dump', 'mysqldump'], opts.binDir, MYSQL_INSTALL_HINT) });
  /** Services reach it by name on the private network (docker), else on 127.0.0.1; host tools always on 127.0.0.1. */
  const hostPort = (spec: DatabaseSpec): [string, number] => (spec.runtime === 'docker' ? [spec.name, MYSQL_CONTAINER_PORT] : ['127.0.0.1', spec.port]);
  const url = (spec: DatabaseSpec, where: 'private' | 'public' = 'private') => {
    const c = mysqlCredentials(spec);
    const [host, port] = where === 'public' ? ['127.0.0.1', spec.port] : hostPort(spec);
    return `mysql://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@${host}:${port}/${encodeURIComponent(c.database)}`;
  };

  const initialise = async (spec: DatabaseSpec) => {
    const { server, installDb } = bins();
    const data = mysqlDataDir(spec.dataDir);
    // A half-made data dir (a crash during a previous prepare) is started over.
    fs.rmSync(data, { recursive: true, force: true });
    fs.mkdirSync(data, { recursive: true, mode: 0o700 });
    const conf = `--defaults-file=${mysqlConfigFile(spec.dataDir)}`;
    const argv = installDb
      ? [installDb, conf, `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...userArgs()]
      : [server, conf, '--initialize-insecure', `--datadir=${data}`, ...userArgs()];
    const out = await runTool(argv, { cwd: spec.dataDir, env: toolEnv(), timeoutMs: 5 * 60_000 });
    if (out.exitCode !== 0) {
      const tail = (out.stderr || out.stdout).trim().split('\n').slice(-5).join('\n');
      throw new WharfError('RUNTIME_ERROR', `Initialising MySQL data for ${spec.name} failed: ${tail}`, {
        hint: 'Check that the data directory is writable and on a filesystem with free space.',
      });
    }
    fs.writeFileSync(path.join(spec.dataDir, INITIALISED), `${new Date().toISOString()}\n`);
  };

  return {
    engine: 'mysql',

    async check() {
      if (databaseRuntime() === 'docker') tools();
      else bins();
    },

    newCredentials(name) {
      return {
        MYSQL_ROOT_PASSWORD: generateSecret(32),
        MYSQL_DATABASE: databaseNameFor(name),
        MYSQL_USER: APP_USER,
        MYSQL_PASSWORD: generateSecret(32),
      };
    },

    async prepare(spec) {
      fs.mkdirSync(spec.dataDir, { recursive: true, mode: 0o700 });
      fs.chmodSync(spec.dataDir, 0o700);
      fs.mkdirSync(mysqlTmpDir(spec.dataDir), { recursive: true, mode: 0o700 });
      writePrivateFile(mysqlConfigFile(spec.dataDir), serverConfig(spec.dataDir, spec.port));
      if (!fs.existsSync(path.join(spec.dataDir, INITIALISED))) await initialise(spec);
    },

    serverCommand(spec): ServerCommand {
      return { argv: [bins().server, `--defaults-file=${mysqlConfigFile(spec.dataDir)}`, ...userArgs()], env: toolEnv(), cwd: spec.dataDir };
    },

    container: (spec) => mysqlContainer(spec),

    async bootstrap(spec) {
      const { client } = tools();
      // In a container root is root@'%' (see container.ts); on the host it stays on loopback.
      const roots = spec.runtime === 'docker' ? [...LOOPBACK_ROOTS, '%'] : LOOPBACK_ROOTS;
      const c = mysqlCredentials(spec);
      // The stored root password, or none on a fresh install.
      let rootPassword: string | null = c.rootPassword;
      const probe = await asRoot(spec, client, ['--batch'], { stdinText: 'SELECT 1;\n' });
      if (accessDenied(probe)) {
        rootPassword = null;
        const fresh = await asRoot(spec, client, ['--batch'], { password: null, stdinText: 'SELECT 1;\n' });
        if (accessDenied(fresh)) {
          throw new WharfError('RUNTIME_ERROR', `MySQL ${spec.name} refused its root password`, {
            hint: 'The data directory belongs to other credentials; restore a backup into a new database instead.',
          });
        }
        if (fresh.exitCode !== 0) throw sqlFailure(spec, 'connecting as root', fresh);
      } else if (probe.exitCode !== 0) {
        throw sqlFailure(spec, 'connecting as root', probe);
      }
      const accounts = await rootQuery(client, spec, "SELECT user, host FROM mysql.user WHERE user IN ('root', '');", { password: rootPassword });
      const account = (user: string, host: string) => `${sqlString(user)}@${sqlString(host)}`;
      const statements: string[] = [];
      for (const [user = '', host = ''] of accounts.map((row) => row.map(unescapeBatch))) {
        // Root stays on loopback only, with the password; anonymous accounts and root@<hostname> go.
        if (user === 'root' && roots.includes(host)) statements.push(`ALTER USER ${account(user, host)} IDENTIFIED BY ${sqlString(c.rootPassword)};`);
        else statements.push(`DROP USER ${account(user, host)};`);
      }
      const root = account('root', spec.runtime === 'docker' ? '%' : '127.0.0.1');
      const app = account(c.user, '%');
      statements.push(
        `CREATE USER IF NOT EXISTS ${root} IDENTIFIED BY ${sqlString(c.rootPassword)};`,
        `GRANT ALL PRIVILEGES ON *.* TO ${root} WITH GRANT OPTION;`,
        `CREATE DATABASE IF NOT EXISTS ${sqlIdent(c.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`,
        `CREATE USER IF NOT EXISTS ${app} IDENTIFIED BY ${sqlString(c.password)};`,
        `ALTER USER ${app} IDENTIFIED BY ${sqlString(c.password)};`,
        `GRANT ALL PRIVILEGES ON ${sqlIdent(c.database)}.* TO ${app};`,
        'FLUSH PRIVILEGES;',
      );
      await rootQuery(client, spec, `${statements.join('\n')}\n`, { password: rootPassword });
    },

    variables(spec) {
      const c = mysqlCredentials(spec);
      return {
        MYSQL_URL: url(spec),
        MYSQL_PUBLIC_URL: url(spec, 'public'),
        MYSQLHOST: hostPort(spec)[0],
        MYSQLPORT: String(hostPort(spec)[1]),
        MYSQLUSER: c.user,
        MYSQLPASSWORD: c.password,
        MYSQLDATABASE: c.database,
        MYSQL_DATABASE: c.database,
        MYSQL_ROOT_PASSWORD: c.rootPassword,
      };
    },

    migrationVariables() {
      // The app user already owns its database (DDL included): nothing extra for migrations.
      return {};
    },

    property(spec, property) {
      const c = mysqlCredentials(spec);
      const values: Record<string, string> = {
        connectionString: url(spec),
        host: hostPort(spec)[0],
        port: String(hostPort(spec)[1]),
        user: c.user,
        password: c.password,
        database: c.database,
      };
      return values[property] ?? null;
    },

    async backup(spec, file): Promise<BackupResult> {
      const started = Date.now();
      const { dump } = tools();
      const c = mysqlCredentials(spec);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const partial = `${file}.partial`;
      fs.rmSync(partial, { force: true });
      const out = await asRoot(spec, dump, ['--single-transaction', '--routines', '--events', '--triggers', '--hex-blob', `--result-file=${partial}`, c.database], {
        timeoutMs: 6 * 60 * 60_000,
      });
      if (out.exitCode !== 0) {
        fs.rmSync(partial, { force: true });
        throw sqlFailure(spec, 'the backup (mariadb-dump)', out);
      }
      fs.renameSync(partial, file);
      fs.chmodSync(file, 0o600);
      const { sha256, bytes } = await fileDigest(file);
      return { path: file, bytes, sha256, durationMs: Date.now() - started, format: 'mysqldump sql' };
    },

    async restore(spec, file) {
      const { client } = tools();
      const c = mysqlCredentials(spec);
      if (!fs.existsSync(file)) throw new WharfError('NOT_FOUND', `The backup file ${file} does not exist`);
      const db = sqlIdent(c.database);
      await rootQuery(
        client,
        spec,
        [
          `DROP DATABASE IF EXISTS ${db};`,
          `CREATE DATABASE ${db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`,
          `GRANT ALL PRIVILEGES ON ${db}.* TO ${sqlString(c.user)}@'%';`,
          '',
        ].join('\n'),
      );
      await rootQuery(client, spec, '', { database: c.database, file, timeoutMs: 6 * 60 * 60_000 });
    },

    async inspect(spec): Promise<ContentSummary> {
      const { client } = tools();
      const c = mysqlCredentials(spec);
      const tables = (
        await rootQuery(
          client,
          spec,
          `SELECT table_name FROM information_schema.tables WHERE table_schema = ${sqlString(c.database)} AND table_type = 'BASE TABLE' ORDER BY table_name;`,
        )
      ).map((row) => unescapeBatch(row[0] ?? ''));
      if (tables.length === 0) return {};
      const counts = await rootQuery(
        client,
        spec,
        `${tables.map((t) => `SELECT ${sqlString(t)}, COUNT(*) FROM ${sqlIdent(c.database)}.${sqlIdent(t)}`).join('\nUNION ALL\n')};`,
      );
      const summary: ContentSummary = {};
      for (const [name = '', count = '0'] of counts) summary[unescapeBatch(name)] = Number(count);
      return summary;
    },

    async stats(spec, timeoutMs): Promise<DatabaseStats> {
      const { client } = tools();
      const c = mysqlCredentials(spec);
      // Threads_connected counts this root client too; the size is InnoDB's (or Aria's) data + index length.
      const rows = await rootQuery(
        client,
        spec,
        [
          "SHOW GLOBAL STATUS LIKE 'Threads_connected';",
          `SELECT 'size', COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = ${sqlString(c.database)};`,
          '',
        ].join('\n'),
        { timeoutMs },
      );
      const value = (name: string) => Number(rows.find((r) => r[0]?.toLowerCase() === name)?.[1]);
      const threads = value('threads_connected');
      const size = value('size');
      if (!Number.isFinite(threads) || !Number.isFinite(size)) throw new WharfError('RUNTIME_ERROR', `MySQL ${spec.name}: no Threads_connected or size in ${JSON.stringify(rows).slice(0, 200)}`);
      return { connections: Math.max(0, threads - 1), sizeBytes: size };
    },

    connectCommand(spec) {
      const c = mysqlCredentials(spec);
      const optionFile = path.join(spec.dataDir, 'connect.cnf');
      writePrivateFile(optionFile, clientOptions({ user: c.user, password: c.password, port: spec.port, database: c.database }));
      return { argv: [tools().client, `--defaults-extra-file=${optionFile}`], env: {} };
    },
  };
}
