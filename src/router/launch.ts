import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { nodeEntryArgv, entryPath } from '../core/entrypoint.js';
import { WharfError } from '../core/errors.js';
import type { WharfPaths } from '../core/paths.js';
import { RouterClient } from './client.js';

// The control plane starts the router once and then leaves it alone: detached, in its own
// session, so it outlives the control plane and keeps serving while that restarts.

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 35_000;
// A fixed 32 MB young generation, scavenged on the main thread. Under load the router allocates
// a few KB per request, and V8 grows the young generation only while much of it survives: with
// little surviving (the access log is off-heap) it stayed at a few MB and scavenged every ~30 ms.
// Fixed at 32 MB: one scavenge per ~100 ms at 30k req/s. Parallel scavenging hands work to
// helper threads that, on a busy 2-core machine, may not be running while the main thread (and
// every request in flight) waits for them; on the main thread a scavenge took ~0.4 ms, not ~0.8.
const ROUTER_GC_FLAGS = ['--min-semi-space-size=32', '--max-semi-space-size=32', '--no-parallel-scavenge'];

export interface EnsureRouterOptions {
  port: number;
  host: string;
  env?: Record<string, string | undefined>;
}

export function routerLogFile(paths: WharfPaths): string {
  return path.join(paths.logs, 'router', 'router.log');
}

export async function ensureRouter(paths: WharfPaths, options: EnsureRouterOptions): Promise<{ pid: number; started: boolean }> {
  const client = new RouterClient(paths.routerSocket);
  try {
    const running = await client.health();
    if (running) return { pid: running.pid, started: false };

    const logFile = routerLogFile(paths);
    mkdirSync(path.dirname(logFile), { recursive: true });
    const fd = openSync(logFile, 'a', 0o600);
    const argv = nodeEntryArgv(entryPath(import.meta.url, './main'));
    argv.splice(1, 0, ...ROUTER_GC_FLAGS);
    let exited: string | null = null;
    let child;
    try {
      child = spawn(argv[0]!, argv.slice(1), {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: {
          ...process.env,
          ...options.env,
          WHARF_HOME: paths.home,
          WHARF_ROUTER_PORT: String(options.port),
          WHARF_ROUTER_HOST: options.host,
        },
      });
    } finally {
      closeSync(fd);
    }
    child.once('exit', (code, signal) => (exited = signal ?? `code ${code}`));
    child.once('error', (err) => (exited = err.message));
    child.unref();

    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline && exited === null) {
      const health = await client.health();
      if (health && health.pid === child.pid) return { pid: health.pid, started: true };
      await sleep(50);
    }
    if (exited === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    throw new WharfError('RUNTIME_ERROR', `the router did not start on ${options.host}:${options.port}${exited ? ` (it exited: ${exited})` : ''}`, {
      hint: `See ${logFile}; a common cause is another program already using port ${options.port}.`,
      details: { logFile },
    });
  } finally {
    await client.close();
  }
}

/** SIGTERM, then wait for in-flight requests to finish and the process to exit. */
export async function stopRouter(paths: WharfPaths, timeoutMs = STOP_TIMEOUT_MS): Promise<{ stopped: boolean; pid: number | null }> {
  const client = new RouterClient(paths.routerSocket);
  let pid: number | null;
  try {
    // Trust the pid the router reports over a pid file that a dead router may have left.
    pid = (await client.health())?.pid ?? null;
  } finally {
    await client.close();
  }
  pid ??= pidFromFile(paths.routerPidFile);
  if (pid === null || !alive(pid)) return { stopped: false, pid: null };
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      throw new WharfError('RUNTIME_ERROR', `the router (pid ${pid}) did not stop within ${Math.round(timeoutMs / 1000)} s`, {
        hint: `See ${routerLogFile(paths)}; \`kill -9 ${pid}\` ends it without waiting for requests.`,
      });
    }
    await sleep(25);
  }
  return { stopped: true, pid };
}

function pidFromFile(file: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1) return null;
  // A pid file can outlive its process and the pid be reused: only signal a Wharf router.
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!/router[\\/]main\.[jt]s/.test(cmdline)) return null;
  } catch {
    // No /proc (macOS): fall back to trusting the file.
  }
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
