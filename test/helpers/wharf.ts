import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { wharfPaths } from '../../src/core/paths.js';
import { stopRouter } from '../../src/router/launch.js';
import { ProcessRuntime } from '../../src/server/runtimes/process/process-runtime.js';
import { freePort } from '../../src/server/ports.js';
import { waitFor } from './wait.js';

export { waitFor } from './wait.js';

// A real Wharf for tests: the compiled server (npm test builds first) in a temp WHARF_HOME on
// free ports, the real CLI, and a cleanup that leaves no process, port or file behind.

export const REPO = path.resolve(import.meta.dirname, '../..');
const SERVER = path.join(REPO, 'dist/server/main.js');
const CLI = path.join(REPO, 'bin/wharf.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Wharf {
  home: string;
  /**
   * A folder apps may write to (sticky, world-writable, outside the state folder): apps run as
   * their own users and cannot write into WHARF_HOME. Removed at cleanup.
   */
  outbox: string;
  apiPort: number;
  routerPort: number;
  env: Record<string, string>;
  server: ChildProcess | null;
  serverLog: string[];
  cli(args: string[], opts?: { cwd?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<CliResult>;
  /** Starts the control plane (again) and waits for its API. */
  startServer(): Promise<void>;
  stopServer(signal?: NodeJS.Signals): Promise<void>;
  get(host: string, urlPath?: string): Promise<{ status: number; body: string }>;
  cleanup(): Promise<void>;
}

export async function startWharf(extraEnv: Record<string, string> = {}): Promise<Wharf> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'wharf-test-'));
  const outbox = `${home}-outbox`;
  await mkdir(outbox, { mode: 0o1777 });
  await chmod(outbox, 0o1777);
  const apiPort = await freePort();
  const routerPort = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? home,
    WHARF_HOME: home,
    WHARF_API_PORT: String(apiPort),
    WHARF_ROUTER_PORT: String(routerPort),
    WHARF_RECONCILE_INTERVAL_MS: '500',
    WHARF_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const wharf: Wharf = {
    home,
    outbox,
    apiPort,
    routerPort,
    env,
    server: null,
    serverLog: [],
    cli: (args, opts = {}) => runCli(args, { cwd: opts.cwd ?? home, env: { ...env, ...opts.env }, timeoutMs: opts.timeoutMs ?? 120_000 }),
    async startServer() {
      const child = spawn(process.execPath, [SERVER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d: Buffer) => wharf.serverLog.push(d.toString()));
      child.stderr!.on('data', (d: Buffer) => wharf.serverLog.push(d.toString()));
      wharf.server = child;
      await waitFor(async () => (await httpRequest(`http://127.0.0.1:${apiPort}/v1/health`)).status === 200, {
        timeoutMs: 20_000,
        what: () => `the control plane to answer (log: ${wharf.serverLog.join('')})`,
      });
    },
    async stopServer(signal = 'SIGTERM') {
      const child = wharf.server;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
      wharf.server = null;
    },
    get: (host, urlPath = '/') => httpRequest(`http://127.0.0.1:${routerPort}${urlPath}`, { host }),
    async cleanup() {
      await wharf.stopServer('SIGKILL');
      const paths = wharfPaths(home);
      const runtime = new ProcessRuntime({ replicasDir: paths.replicas, work: { appsDir: paths.apps, mode: 'link' } });
      for (const replica of await runtime.list()) {
        await runtime.stop(replica.replicaId, { graceMs: 0 });
        await runtime.remove(replica.replicaId);
      }
      await stopRouter(paths, 5_000);
      await rm(home, { recursive: true, force: true });
      await rm(paths.apps, { recursive: true, force: true });
      await rm(outbox, { recursive: true, force: true });
    },
  };
  try {
    await wharf.startServer();
  } catch (error) {
    await wharf.cleanup();
    throw error;
  }
  return wharf;
}

export function runCli(args: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A copy of an example app in a temp folder, so tests never write into the repo. */
export async function copyExample(name: string, into: string): Promise<string> {
  const dir = path.join(into, `src-${name}-${Math.random().toString(36).slice(2, 8)}`);
  await cp(path.join(REPO, 'examples', name), dir, { recursive: true });
  return dir;
}


export function httpRequest(url: string, opts: { host?: string; method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', agent: false, headers: { ...(opts.host ? { host: opts.host } : {}), ...opts.headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
    req.end(opts.body);
  });
}

/** The admin token the server wrote into the CLI config on first start. */
export async function adminToken(wharf: Wharf): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const config = JSON.parse(await readFile(path.join(wharf.home, 'config.json'), 'utf8')) as { token: string };
  return config.token;
}

/** The result of a command that must have succeeded (exit 0); fails the test with its output otherwise. */
export function succeeded(result: CliResult, what = 'the command'): CliResult {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}: ${result.stdout}\n${result.stderr}`);
  return result;
}

/** Reads `wharf … --json` output of a command that exited `code` (0 unless given). */
export function parseJson<T>(result: CliResult, { code = 0 }: { code?: number | null } = {}): T {
  if (result.code !== code) throw new Error(`expected exit ${code}, got ${result.code}: ${result.stdout}\n${result.stderr}`);
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
}
