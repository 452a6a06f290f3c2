import { WharfError } from '../../../core/errors.js';
import { runTool, toolEnv, withPrivateDir, writePrivateFile } from '../tools.js';
import path from 'node:path';

// Talking to a Redis server through redis-cli: the password travels in REDISCLI_AUTH (or, for a
// value that must not be in argv, through stdin with -x), never on the command line. redis-cli
// exits 0 even when the server answers with an error, so replies are checked here.

export interface RedisTarget {
  cli: string;
  port: number;
  password: string;
  /** Where redis-cli runs; password files for -x are made under it. */
  workDir: string;
  user?: string;
}

const ERROR_REPLY = /^(ERR|NOAUTH|WRONGPASS|NOPERM|LOADING|READONLY|MASTERDOWN|BUSY|MISCONF|WRONGTYPE|EXECABORT|NOSCRIPT|NOREPLICAS|UNKILLABLE|\(error\))\b/;

export function redisCliArgv(target: RedisTarget, args: readonly string[]): string[] {
  return [target.cli, '-h', '127.0.0.1', '-p', String(target.port), '--user', target.user ?? 'default', '--no-auth-warning', ...args];
}

export function redisCliEnv(password: string): Record<string, string> {
  return toolEnv({ REDISCLI_AUTH: password });
}

/** One command; its raw reply. A server error (or failed AUTH) is a WharfError. */
export async function redisCommand(target: RedisTarget, args: readonly string[], options: { stdinFile?: string; timeoutMs?: number } = {}): Promise<string> {
  const out = await runTool(redisCliArgv(target, args), {
    cwd: target.workDir,
    env: redisCliEnv(target.password),
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.stdinFile !== undefined ? { stdinFile: options.stdinFile } : {}),
  });
  const reply = out.stdout.trim();
  const problem =
    out.exitCode !== 0
      ? `redis-cli exited with ${out.exitCode}: ${out.stderr.trim() || reply}`
      : /AUTH failed/.test(out.stderr)
        ? out.stderr.trim()
        : ERROR_REPLY.test(reply)
          ? reply
          : /^Could not connect/m.test(out.stderr)
            ? out.stderr.trim()
            : null;
  if (problem !== null) {
    throw new WharfError('RUNTIME_ERROR', `Redis on port ${target.port} refused ${args[0] ?? 'the command'}: ${problem.split('\n')[0]}`, {
      hint: 'Check that the Redis server is running and that its password matches the stored credentials.',
    });
  }
  return reply;
}

/** A command whose last argument is a secret: it goes through stdin (`redis-cli -x`) from a 0600 file. */
export async function redisCommandWithSecret(target: RedisTarget, args: readonly string[], secret: string): Promise<string> {
  return withPrivateDir(target.workDir, async (dir) => {
    const file = path.join(dir, 'arg');
    writePrivateFile(file, secret);
    return redisCommand(target, ['-x', ...args], { stdinFile: file });
  });
}

/** `INFO <section>` as key → value. */
export async function redisInfo(target: RedisTarget, section: string): Promise<Record<string, string>> {
  return parseInfo(await redisCommand(target, ['INFO', section]));
}

export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** `db0:keys=3,expires=0,avg_ttl=0` lines → { db0: 3 }. */
export function keyspaceCounts(info: Record<string, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [db, value] of Object.entries(info)) {
    const match = /^db\d+$/.test(db) ? /(?:^|,)keys=(\d+)/.exec(value) : null;
    if (match) counts[db] = Number(match[1]);
  }
  return counts;
}
