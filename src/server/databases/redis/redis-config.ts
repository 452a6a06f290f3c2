import path from 'node:path';

// redis.conf for one database: loopback only, a password, persistence in <dataDir>/data (AOF
// every second plus RDB snapshots), no unix socket, foreground (the supervisor owns the process).

export interface RedisConfigOptions {
  port: number;
  password: string;
  dir: string;
  /** `appendonly yes` for the live server; a restore's scratch server keeps nothing. */
  persistent: boolean;
  /** Addresses to listen on; loopback unless given (a container listens on its network). */
  bind?: string;
}

/** A redis.conf string argument, quoted (paths may hold spaces). */
export function quoteRedis(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

export function redisConfig(options: RedisConfigOptions): string {
  const lines = [
    '# Written by Wharf; rewritten by every prepare.',
    `bind ${options.bind ?? '127.0.0.1'}`,
    `port ${options.port}`,
    'protected-mode yes',
    'daemonize no',
    'supervised no',
    'logfile ""',
    `requirepass ${quoteRedis(options.password)}`,
    `dir ${quoteRedis(options.dir)}`,
    'dbfilename dump.rdb',
    // Backups (redis-cli --rdb) and restores are replication syncs: start them at once.
    'repl-diskless-sync-delay 0',
  ];
  if (options.persistent) {
    lines.push('appendonly yes', 'appendfsync everysec', 'appenddirname "appendonlydir"', 'save 3600 1 300 100 60 10000');
  } else {
    lines.push('appendonly no', 'save ""');
  }
  return `${lines.join('\n')}\n`;
}

export const redisConfigFile = (dataDir: string) => path.join(dataDir, 'redis.conf');
export const redisDataDir = (dataDir: string) => path.join(dataDir, 'data');
