import fs from 'node:fs';
import path from 'node:path';
import type { BackupResult, ContentSummary, DatabaseProvider, DatabaseSpec, DatabaseStats, ServerCommand } from '../../../core/database.js';
import { WharfError } from '../../../core/errors.js';
import { generateSecret } from '../../variables/generate.js';
import { fileDigest, runTool, toolEnv, withPrivateDir, writePrivateFile } from '../tools.js';
import { mongoBinaries, mongoClientBinaries } from './mongo-binaries.js';
import { databaseRuntime } from '../docker/runtime-choice.js';
import { mongoConfigFile, mongoDbPath, mongodConfig, toolsConfig } from './mongo-config.js';
import { authenticated, mongoAccount, mongoScript } from './mongo-shell.js';
import type { DockerTools } from '../docker/docker-tools.js';
import { MONGO_CONTAINER_PORT, mongoContainer } from './container.js';

// MongoDB from MongoDB's own packages (mongod, mongosh, the database tools); Debian does not
// ship it. One root user (Railway's MONGO_INITDB_ROOT_USERNAME=mongo) created by bootstrap via
// the localhost exception; backups are gzipped mongodump archives of every database; restore
// drops the user databases and replays the archive with mongorestore --drop, leaving the
// admin/config/local databases (and so the target's users and passwords) alone.

const ROOT_USER = 'mongo';
const SYSTEM_DBS = ['admin', 'config', 'local'];

export function createMongoProvider(opts: { binDir?: string; docker?: DockerTools } = {}): DatabaseProvider {
  const bins = () => mongoBinaries(opts.binDir);
  const tools = () => mongoClientBinaries(opts.binDir);
  /** Services reach it by name on the private network (docker), else on 127.0.0.1; host tools always on 127.0.0.1. */
  const hostPort = (spec: DatabaseSpec): [string, number] => (spec.runtime === 'docker' ? [spec.name, MONGO_CONTAINER_PORT] : ['127.0.0.1', spec.port]);
  const url = (spec: DatabaseSpec, where: 'private' | 'public' = 'public') => {
    const { user, password } = mongoAccount(spec);
    const [host, port] = where === 'public' ? ['127.0.0.1', spec.port] : hostPort(spec);
    return `mongodb://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}`;
  };
  /** For the database tools: the URI (with the password) in a 0600 --config file, never argv. */
  const withToolsConfig = <T>(spec: DatabaseSpec, fn: (configArg: string) => Promise<T>) =>
    withPrivateDir(spec.dataDir, async (dir) => {
      const file = path.join(dir, 'tools.yaml');
      writePrivateFile(file, toolsConfig(`${url(spec)}/?authSource=admin`));
      return fn(`--config=${file}`);
    });
  const toolFailure = (spec: DatabaseSpec, what: string, output: { exitCode: number | null; stderr: string }) =>
    new WharfError('RUNTIME_ERROR', `MongoDB ${spec.name}: ${what} failed (exit ${output.exitCode}): ${output.stderr.trim().split('\n').slice(-3).join(' ')}`, {
      hint: 'Check that the database server is running (wharf status) and look at its logs.',
    });

  return {
    engine: 'mongo',

    async check() {
      if (databaseRuntime() === 'docker') tools();
      else bins();
    },

    newCredentials() {
      return { MONGO_INITDB_ROOT_USERNAME: ROOT_USER, MONGO_INITDB_ROOT_PASSWORD: generateSecret(32) };
    },

    async prepare(spec) {
      fs.mkdirSync(mongoDbPath(spec.dataDir), { recursive: true, mode: 0o700 });
      fs.chmodSync(spec.dataDir, 0o700);
      // mongod initialises an empty dbPath itself; the config is rewritten every time.
      writePrivateFile(mongoConfigFile(spec.dataDir), mongodConfig(spec.dataDir, spec.port));
    },

    serverCommand(spec): ServerCommand {
      return { argv: [bins().server, '--config', mongoConfigFile(spec.dataDir)], env: toolEnv(), cwd: spec.dataDir };
    },

    container: (spec) => mongoContainer(spec),

    async bootstrap(spec) {
      // Authenticate if the user exists; otherwise create it (allowed once, through the
      // localhost exception, while the server has no users at all).
      await mongoScript(
        tools().shell,
        spec,
        `(() => {
  const admin = db.getSiblingDB('admin');
  const user = process.env.WHARF_MONGO_USER;
  const pwd = process.env.WHARF_MONGO_PASSWORD;
  try {
    admin.auth(user, pwd);
    print(JSON.stringify({ user: 'exists' }));
    return;
  } catch (e) {}
  admin.createUser({ user, pwd, roles: [{ role: 'root', db: 'admin' }] });
  admin.auth(user, pwd);
  print(JSON.stringify({ user: 'created' }));
})();`,
        'creating the root user',
      );
    },

    variables(spec) {
      const { user, password } = mongoAccount(spec);
      return {
        MONGO_URL: url(spec, 'private'),
        MONGO_PUBLIC_URL: url(spec),
        MONGOHOST: hostPort(spec)[0],
        MONGOPORT: String(hostPort(spec)[1]),
        MONGOUSER: user,
        MONGOPASSWORD: password,
        MONGO_INITDB_ROOT_USERNAME: user,
        MONGO_INITDB_ROOT_PASSWORD: password,
      };
    },

    migrationVariables() {
      return {};
    },

    property(spec, property) {
      const { user, password } = mongoAccount(spec);
      const values: Record<string, string> = { connectionString: url(spec, 'private'), host: hostPort(spec)[0], port: String(hostPort(spec)[1]), user, password };
      return values[property] ?? null;
    },

    async backup(spec, file): Promise<BackupResult> {
      const started = Date.now();
      const { dump } = tools();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const partial = `${file}.partial`;
      fs.rmSync(partial, { force: true });
      const out = await withToolsConfig(spec, (config) =>
        runTool([dump, config, `--archive=${partial}`, '--gzip'], { cwd: spec.dataDir, env: toolEnv(), timeoutMs: 6 * 60 * 60_000 }),
      );
      if (out.exitCode !== 0) {
        fs.rmSync(partial, { force: true });
        throw toolFailure(spec, 'the backup (mongodump)', out);
      }
      fs.renameSync(partial, file);
      fs.chmodSync(file, 0o600);
      const { sha256, bytes } = await fileDigest(file);
      return { path: file, bytes, sha256, durationMs: Date.now() - started, format: 'mongodump archive' };
    },

    async restore(spec, file) {
      const { shell, restore } = tools();
      if (!fs.existsSync(file)) throw new WharfError('NOT_FOUND', `The backup file ${file} does not exist`);
      // Collections created after the backup must go too: drop every user database first.
      await mongoScript(
        shell,
        spec,
        authenticated(`
  const dropped = [];
  for (const d of admin.adminCommand({ listDatabases: 1, nameOnly: true }).databases) {
    if (${JSON.stringify(SYSTEM_DBS)}.includes(d.name)) continue;
    db.getSiblingDB(d.name).dropDatabase();
    dropped.push(d.name);
  }
  print(JSON.stringify(dropped));`),
        'clearing the databases before the restore',
      );
      const excludes = SYSTEM_DBS.map((name) => `--nsExclude=${name}.*`);
      const out = await withToolsConfig(spec, (config) =>
        runTool([restore, config, '--drop', `--archive=${file}`, '--gzip', ...excludes], { cwd: spec.dataDir, env: toolEnv(), timeoutMs: 6 * 60 * 60_000 }),
      );
      if (out.exitCode !== 0) throw toolFailure(spec, 'the restore (mongorestore)', out);
    },

    async inspect(spec): Promise<ContentSummary> {
      return mongoScript<ContentSummary>(
        tools().shell,
        spec,
        authenticated(`
  const summary = {};
  for (const d of admin.adminCommand({ listDatabases: 1, nameOnly: true }).databases) {
    if (${JSON.stringify(SYSTEM_DBS)}.includes(d.name)) continue;
    const sibling = db.getSiblingDB(d.name);
    for (const c of sibling.getCollectionInfos({ type: 'collection' }, { nameOnly: true })) {
      if (c.name.startsWith('system.')) continue;
      summary[d.name + '.' + c.name] = sibling.getCollection(c.name).countDocuments({});
    }
  }
  print(JSON.stringify(summary));`),
        'counting documents',
      );
    },

    async stats(spec, timeoutMs): Promise<DatabaseStats> {
      // connections.current counts this mongosh too; the size is data + indexes of the user databases.
      return mongoScript<DatabaseStats>(
        tools().shell,
        spec,
        authenticated(`
  let sizeBytes = 0;
  for (const d of admin.adminCommand({ listDatabases: 1, nameOnly: true }).databases) {
    if (${JSON.stringify(SYSTEM_DBS)}.includes(d.name)) continue;
    const s = db.getSiblingDB(d.name).runCommand({ dbStats: 1 });
    sizeBytes += Number(s.dataSize ?? 0) + Number(s.indexSize ?? 0);
  }
  const status = admin.runCommand({ serverStatus: 1 });
  print(JSON.stringify({ connections: Math.max(0, Number(status.connections.current) - 1), sizeBytes }));`),
        'reading connections and sizes',
        timeoutMs,
      );
    },

    connectCommand(spec) {
      const { user, password } = mongoAccount(spec);
      // mongosh has no password file or variable of its own: connect unauthenticated and log in
      // from the environment at start (--eval runs first, --shell stays interactive).
      return {
        argv: [
          tools().shell,
          '--norc',
          '--host',
          '127.0.0.1',
          '--port',
          String(spec.port),
          '--eval',
          "db.getSiblingDB('admin').auth(process.env.WHARF_MONGO_USER, process.env.WHARF_MONGO_PASSWORD)",
          '--shell',
        ],
        env: { WHARF_MONGO_USER: user, WHARF_MONGO_PASSWORD: password },
      };
    },
  };
}
