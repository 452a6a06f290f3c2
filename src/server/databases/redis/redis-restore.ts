import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WharfError } from '../../../core/errors.js';
import { freePort } from '../../ports.js';
import { toolEnv, writePrivateFile } from '../tools.js';
import { redisConfig } from './redis-config.js';
import { redisCommand, redisCommandWithSecret, redisInfo, type RedisTarget } from './redis-cli.js';

// Restoring an RDB file into a RUNNING Redis without touching its files or restarting it:
//   1. a scratch redis-server (loopback, free port, random password, no persistence) loads the
//      backup as its dump.rdb (on the docker runtime: a container in the live one's network
//      namespace, so its loopback is the live server's);
//   2. the live server becomes its replica (CONFIG SET masterauth via stdin, REPLICAOF): a full
//      sync replaces every key in every db, TTLs and types included, and refuses client writes
//      while it runs (replicas are read-only);
//   3. once the link is up the live server is promoted back (REPLICAOF NO ONE) and we wait for
//      the AOF rewrite the sync triggered, so a restart after restore() replays the restored data;
//   4. the scratch server is stopped and its directory removed, whatever happened.

const POLL_MS = 50;

/** Polls `probe` (its errors are retried) until it gives a value; `guard` throws to give up at once. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>, guard: () => void | Promise<void> = () => {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    await guard();
    try {
      const value = await probe();
      if (value !== null) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (${last.message})` : '';
      throw new WharfError('RUNTIME_ERROR', `Redis restore timed out waiting for ${what}${why}`, {
        hint: 'Look at the Redis server log; the live server is promoted back to a primary either way.',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function startScratchServer(server: string, conf: string, cwd: string): { child: ChildProcess; log: () => string } {
  const child = spawn(server, [conf], { cwd, env: toolEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', () => {});
  return { child, log: () => log };
}

async function stopScratchServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    return;
  }
  await exited;
}

/** The server that holds the backup while the live server syncs from it. */
export interface ScratchServer {
  /** Where the live server reaches it (REPLICAOF host port). */
  host: string;
  port: number;
  password: string;
  /** Throws once the scratch server has died (it could not load the file). */
  alive(): void | Promise<void>;
  /** Answers PONG when it has loaded the backup (null: it cannot be asked directly; the sync waits for it). */
  loaded: (() => Promise<boolean>) | null;
  stop(): Promise<void>;
}

export interface RedisRestoreInput {
  server: string;
  live: RedisTarget;
  /** The live server's data dir: the scratch dir is made beside it (same filesystem, same owner). */
  dataDir: string;
  backupFile: string;
  timeoutMs?: number;
  /** Another scratch server than a process beside the live one (the docker runtime's). */
  scratch?: (backupFile: string) => Promise<ScratchServer>;
}

const loadFailed = (log: string) =>
  new WharfError('RUNTIME_ERROR', `The backup could not be loaded: ${log.trim().split('\n').slice(-3).join(' | ')}`, {
    hint: 'Is the file an RDB snapshot from wharf db backup, written by this Redis version or an older one?',
  });

/** A redis-server process on a free loopback port, in a 0700 folder beside the live data. */
async function processScratch(input: RedisRestoreInput): Promise<ScratchServer> {
  const scratchDir = fs.mkdtempSync(path.join(input.dataDir, 'restore-'));
  fs.chmodSync(scratchDir, 0o700);
  const scratchPassword = randomBytes(24).toString('hex');
  const port = await freePort();
  fs.copyFileSync(input.backupFile, path.join(scratchDir, 'dump.rdb'));
  const conf = path.join(scratchDir, 'scratch.conf');
  writePrivateFile(conf, redisConfig({ port, password: scratchPassword, dir: scratchDir, persistent: false }));
  const scratch = startScratchServer(input.server, conf, scratchDir);
  const target: RedisTarget = { cli: input.live.cli, port, password: scratchPassword, workDir: scratchDir };
  return {
    host: '127.0.0.1',
    port,
    password: scratchPassword,
    alive: () => {
      if (scratch.child.exitCode !== null || scratch.child.signalCode !== null) throw loadFailed(scratch.log());
    },
    loaded: async () => (await redisCommand(target, ['PING'])) === 'PONG',
    stop: async () => {
      await stopScratchServer(scratch.child);
      fs.rmSync(scratchDir, { recursive: true, force: true });
    },
  };
}

export async function restoreRdbIntoLiveServer(input: RedisRestoreInput): Promise<void> {
  const timeoutMs = input.timeoutMs ?? 30 * 60_000;
  if (!fs.existsSync(input.backupFile)) {
    throw new WharfError('NOT_FOUND', `The backup file ${input.backupFile} does not exist`);
  }
  const scratch = input.scratch ? await input.scratch(input.backupFile) : await processScratch(input);
  let replicating = false;
  try {
    const alive = () => scratch.alive();
    const loaded = scratch.loaded;
    if (loaded) await until('the backup to load', timeoutMs, async () => ((await loaded()) ? true : null), alive);

    await redisCommandWithSecret(input.live, ['CONFIG', 'SET', 'masterauth'], scratch.password);
    replicating = true;
    await redisCommand(input.live, ['REPLICAOF', scratch.host, String(scratch.port)]);
    await until(
      'the live server to sync from the backup',
      timeoutMs,
      async () => {
        const info = await redisInfo(input.live, 'replication');
        return info.master_link_status === 'up' && info.master_sync_in_progress === '0' ? true : null;
      },
      alive,
    );
  } finally {
    try {
      if (replicating) {
        await redisCommand(input.live, ['REPLICAOF', 'NO', 'ONE']);
        await redisCommand(input.live, ['CONFIG', 'SET', 'masterauth', '']);
      }
    } finally {
      await scratch.stop();
    }
  }
  // The sync restarted the AOF with a rewrite; until it finishes a restart would replay the old AOF.
  await until('the append-only file to be rewritten', timeoutMs, async () => {
    const info = await redisInfo(input.live, 'persistence');
    if (info.aof_last_bgrewrite_status === 'err') {
      throw new WharfError('RUNTIME_ERROR', 'Redis could not rewrite its append-only file after the restore', {
        hint: 'Check free disk space in the database directory, then run BGREWRITEAOF.',
      });
    }
    return info.aof_rewrite_in_progress === '0' && info.aof_rewrite_scheduled === '0' && info.loading === '0' ? true : null;
  });
}
