import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { nodeEntryArgv, entryPath } from '../core/entrypoint.js';
import { WharfError } from '../core/errors.js';
import type { WharfPaths } from '../core/paths.js';
import { RouterClient, type RouterHealth } from './client.js';
import { nofileWrapper } from './nofile.js';

// The control plane starts the router once and then leaves it alone: detached, in its own
// session, so it outlives the control plane and keeps serving while that restarts.

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 35_000;
// How long a router that is running but not answering (short of descriptors, swamped, stopped)
// is waited for before giving up, instead of starting a second one that cannot bind the port.
const BUSY_WAIT_MS = 30_000;
const BUSY_POLL_MS = 250;
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
  /** How long to wait for a busy router to answer again (default 30 s). */
  busyWaitMs?: number;
}

/**
 * What is there before starting a router. `busy`: a router is there but does not answer its
 * admin socket in time, or the public port is held; starting another would only fail with
 * EADDRINUSE (and, with the socket file replaced, strand the first). `gone`: nothing answers
 * and the port is free. `routerAlive`: the pid file names a live router (not some other program).
 */
type Observed = { state: 'up'; health: RouterHealth } | { state: 'busy'; why: string; routerAlive: boolean } | { state: 'gone' };

export function routerLogFile(paths: WharfPaths): string {
  return path.join(paths.logs, 'router', 'router.log');
}

export async function ensureRouter(paths: WharfPaths, options: EnsureRouterOptions): Promise<{ pid: number; started: boolean }> {
  const client = new RouterClient(paths.routerSocket);
  try {
    let seen = await observe(client, paths, options);
    if (seen.state === 'busy') {
      // A router that is only slow gets its full wait; a port held with no live router behind
      // it is another program (or a router still starting) and gets the start time-out.
      const deadline = Date.now() + (seen.routerAlive ? (options.busyWaitMs ?? BUSY_WAIT_MS) : Math.min(options.busyWaitMs ?? START_TIMEOUT_MS, START_TIMEOUT_MS));
      while (seen.state === 'busy' && Date.now() < deadline) {
        await sleep(BUSY_POLL_MS);
        seen = await observe(client, paths, options);
      }
      if (seen.state === 'busy') {
        throw new WharfError('RUNTIME_ERROR', `the router is not answering (${seen.why}); not starting a second one`, {
          hint: seen.routerAlive
            ? `It may be short of descriptors or swamped: see ${routerLogFile(paths)}. The control plane asks again on its next pass; \`kill ${pidFromFile(paths.routerPidFile) ?? '<pid>'}\` makes it start a fresh one.`
            : `Another program holds port ${options.port}: stop it or set WHARF_ROUTER_PORT.`,
          details: { logFile: routerLogFile(paths) },
        });
      }
    }
    if (seen.state === 'up') return { pid: seen.health.pid, started: false };

    const logFile = routerLogFile(paths);
    mkdirSync(path.dirname(logFile), { recursive: true });
    const fd = openSync(logFile, 'a', 0o600);
    const env = { ...process.env, ...options.env };
    const argv = nodeEntryArgv(entryPath(import.meta.url, './main'));
    argv.splice(1, 0, ...ROUTER_GC_FLAGS);
    argv.unshift(...nofileWrapper(env));
    let exited: string | null = null;
    let child;
    try {
      child = spawn(argv[0]!, argv.slice(1), {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: {
          ...env,
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
      hint: `See ${logFile}; a common cause is another program already using port ${options.port}${env.WHARF_ROUTER_NOFILE ? ', or a WHARF_ROUTER_NOFILE above the hard limit that this user may not raise' : ''}.`,
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

async function observe(client: RouterClient, paths: WharfPaths, options: EnsureRouterOptions): Promise<Observed> {
  const probe = await client.probe();
  if (probe.state === 'up') return probe;
  const pid = pidFromFile(paths.routerPidFile);
  const routerAlive = pid !== null && alive(pid);
  if (probe.state === 'busy') return { state: 'busy', why: `its admin socket did not answer: ${probe.reason}`, routerAlive: true };
  // No admin socket: a router whose socket file was removed still holds the port; so does a
  // router that is starting (it binds the port first).
  if (await portHeld(options.host, options.port)) {
    return { state: 'busy', why: routerAlive ? `router pid ${pid} holds port ${options.port} but its admin socket is ${probe.reason}` : `port ${options.port} is in use`, routerAlive };
  }
  return { state: 'gone' };
}

/** Whether something listens on host:port: binding it fails with EADDRINUSE. */
function portHeld(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(false)));
  });
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
