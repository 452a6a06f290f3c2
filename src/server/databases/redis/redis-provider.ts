import fs from 'node:fs';
import path from 'node:path';
import type { BackupResult, ContentSummary, DatabaseProvider, DatabaseSpec, DatabaseStats, ServerCommand } from '../../../core/database.js';
import { WharfError } from '../../../core/errors.js';
import { generateSecret } from '../../variables/generate.js';
import { fileDigest, requireBinary, runTool, toolEnv, writePrivateFile } from '../tools.js';
import { redisConfig, redisConfigFile, redisDataDir } from './redis-config.js';
import { keyspaceCounts, parseInfo, redisCliArgv, redisCliEnv, redisCommand, redisInfo, type RedisTarget } from './redis-cli.js';
import { restoreRdbIntoLiveServer } from './redis-restore.js';
import type { DockerTools } from '../docker/docker-tools.js';
import { databaseRuntime } from '../docker/runtime-choice.js';
import { dockerScratch, REDIS_CONTAINER_PORT, redisContainer } from './container.js';

// Redis from the system's redis-server (Debian: redis-server). One password (the default user's),
// Railway's variable names, RDB snapshots as backups, restores through replication from a
// scratch server (see redis-restore.ts).

export const REDIS_INSTALL_HINT = 'Install Redis: apt-get install redis-server (it provides redis-server and redis-cli).';
const USER = 'default';

function password(spec: DatabaseSpec): string {
  const value = spec.credentials.REDIS_PASSWORD;
  if (!value) throw new WharfError('INTERNAL', `Database ${spec.name} has no REDIS_PASSWORD in its credentials`);
  return value;
}

export function createRedisProvider(opts: { binDir?: string; docker?: DockerTools } = {}): DatabaseProvider {
  const server = () => requireBinary(['redis-server'], opts.binDir, REDIS_INSTALL_HINT);
  const cli = () => requireBinary(['redis-cli'], opts.binDir, REDIS_INSTALL_HINT);
  const target = (spec: DatabaseSpec): RedisTarget => ({ cli: cli(), port: spec.port, password: password(spec), workDir: spec.dataDir });
  /** Services reach it by name on the private network (docker), else on 127.0.0.1; host tools always on 127.0.0.1. */
  const hostPort = (spec: DatabaseSpec): [string, number] => (spec.runtime === 'docker' ? [spec.name, REDIS_CONTAINER_PORT] : ['127.0.0.1', spec.port]);
  const url = (spec: DatabaseSpec, where: 'private' | 'public' = 'private') => {
    const [host, port] = where === 'public' ? ['127.0.0.1', spec.port] : hostPort(spec);
    return `redis://${USER}:${encodeURIComponent(password(spec))}@${host}:${port}`;
  };

  return {
    engine: 'redis',

    async check() {
      // On the docker runtime the server comes from the image; redis-cli stays on the host.
      if (databaseRuntime() !== 'docker') server();
      cli();
    },

    newCredentials() {
      return { REDIS_PASSWORD: generateSecret(32) };
    },

    async prepare(spec) {
      fs.mkdirSync(redisDataDir(spec.dataDir), { recursive: true, mode: 0o700 });
      fs.chmodSync(spec.dataDir, 0o700);
      // Rewritten every time (a new port or password takes effect on the next start); the data stays.
      writePrivateFile(redisConfigFile(spec.dataDir), redisConfig({ port: spec.port, password: password(spec), dir: redisDataDir(spec.dataDir), persistent: true }));
    },

    serverCommand(spec): ServerCommand {
      return { argv: [server(), redisConfigFile(spec.dataDir)], env: toolEnv(), cwd: spec.dataDir };
    },

    container: (spec) => redisContainer(spec, password(spec)),

    async bootstrap(spec) {
      // Nothing to create: the password is in redis.conf. Prove it works.
      const reply = await redisCommand(target(spec), ['PING']);
      if (reply !== 'PONG') throw new WharfError('RUNTIME_ERROR', `Redis on port ${spec.port} answered PING with ${reply}`);
    },

    variables(spec) {
      const pw = password(spec);
      return {
        REDIS_URL: url(spec),
        REDIS_PUBLIC_URL: url(spec, 'public'),
        REDISHOST: hostPort(spec)[0],
        REDISPORT: String(hostPort(spec)[1]),
        REDISUSER: USER,
        REDISPASSWORD: pw,
        REDIS_PASSWORD: pw,
      };
    },

    migrationVariables() {
      return {};
    },

    property(spec, property) {
      switch (property) {
        case 'connectionString':
          return url(spec);
        case 'host':
          return hostPort(spec)[0];
        case 'port':
          return String(hostPort(spec)[1]);
        case 'user':
          return USER;
        case 'password':
          return password(spec);
        default:
          return null;
      }
    },

    async backup(spec, file): Promise<BackupResult> {
      const started = Date.now();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const partial = `${file}.partial`;
      fs.rmSync(partial, { force: true });
      const out = await runTool(redisCliArgv(target(spec), ['--rdb', partial]), { cwd: spec.dataDir, env: redisCliEnv(password(spec)) });
      if (out.exitCode !== 0 || !fs.existsSync(partial) || /AUTH failed|error/i.test(out.stderr)) {
        fs.rmSync(partial, { force: true });
        const why = (out.stderr || out.stdout).trim().split('\n').slice(-2).join(' ');
        throw new WharfError('RUNTIME_ERROR', `The Redis snapshot of ${spec.name} failed: ${why}`, {
          hint: 'Check that the Redis server is running and has room to write its snapshot.',
        });
      }
      fs.renameSync(partial, file);
      fs.chmodSync(file, 0o600);
      const { sha256, bytes } = await fileDigest(file);
      return { path: file, bytes, sha256, durationMs: Date.now() - started, format: 'rdb' };
    },

    async restore(spec, file) {
      const docker = spec.runtime === 'docker' ? opts.docker : undefined;
      await restoreRdbIntoLiveServer({
        server: docker ? 'redis-server' : server(),
        live: target(spec),
        dataDir: spec.dataDir,
        backupFile: file,
        ...(docker ? { scratch: (backup: string) => dockerScratch(docker, spec, backup) } : {}),
      });
    },

    async inspect(spec): Promise<ContentSummary> {
      return keyspaceCounts(await redisInfo(target(spec), 'keyspace'));
    },

    async stats(spec, timeoutMs): Promise<DatabaseStats> {
      // INFO's default sections hold both; redis-cli's own connection is one of connected_clients.
      const info = parseInfo(await redisCommand(target(spec), ['INFO'], { timeoutMs }));
      const clients = Number(info.connected_clients);
      const memory = Number(info.used_memory);
      if (!Number.isFinite(clients) || !Number.isFinite(memory)) throw new WharfError('RUNTIME_ERROR', `Redis ${spec.name}: INFO has no connected_clients or used_memory`);
      return { connections: Math.max(0, clients - 1), sizeBytes: memory };
    },

    connectCommand(spec) {
      return { argv: redisCliArgv(target(spec), []), env: { REDISCLI_AUTH: password(spec) } };
    },
  };
}
