import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli, type CliResult, type Wharf } from '../test/helpers/wharf.js';

// Deploy timings through the real CLI: `wharf up` until the router serves the new version
// (with the dependency install's share from the build log), and `wharf rollback` until the
// router serves the previous version again.

export interface StepTiming {
  step: string;
  durationMs: number;
}

export interface UpTiming {
  label: string;
  deployment: number;
  /** `wharf up` started → first GET through the router with the new version. */
  answeringMs: number;
  /** `wharf up` started → the CLI exited (it follows the deployment to ACTIVE). */
  cliMs: number;
  /** The install step (npm ci), from the build log's timestamps. */
  install: StepTiming | null;
  /** First build-log line → "==> start:" (copy, install, build). */
  buildMs: number | null;
}

export interface RollbackTiming {
  deployment: number;
  fromVersion: string;
  toVersion: string;
  answeringMs: number;
  cliMs: number;
}

const POLL_MS = 20;

/** GET / through the router with this Host; the JSON body's "version", or null. */
export function versionVia(routerPort: number, host: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: routerPort, path: '/', agent: false, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? String((JSON.parse(body) as { version?: unknown }).version) : null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('error', () => resolve(null));
    req.setTimeout(5_000, () => req.destroy());
  });
}

/**
 * Runs a CLI command and, at the same time, polls the router every 20 ms until it serves
 * `version`. Returns both times from the moment the command was started.
 */
async function timeUntilServed(
  wharf: Wharf,
  args: string[],
  cwd: string,
  host: string,
  version: string,
  timeoutMs: number,
): Promise<{ answeringMs: number; cliMs: number; cli: CliResult }> {
  const started = performance.now();
  let cliMs = -1;
  const cli = runCli(args, { cwd, env: wharf.env, timeoutMs }).then((result) => {
    cliMs = performance.now() - started;
    return result;
  });
  let answeringMs = -1;
  let cliDone = false;
  void cli.then(() => (cliDone = true));
  while (performance.now() - started < timeoutMs) {
    if ((await versionVia(wharf.routerPort, host)) === version) {
      answeringMs = performance.now() - started;
      break;
    }
    // Once the CLI is back, the deployment has ended; give the route a moment, then stop.
    if (cliDone && performance.now() - started > cliMs + 5_000) break;
    await sleep(POLL_MS);
  }
  const result = await cli;
  if (result.code !== 0) throw new Error(`wharf ${args.join(' ')} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  if (answeringMs < 0) throw new Error(`wharf ${args.join(' ')}: the router never served version ${version}\n${result.stdout}`);
  return { answeringMs, cliMs, cli: result };
}

export async function cli(wharf: Wharf, args: string[], cwd: string): Promise<CliResult> {
  const result = await wharf.cli(args, { cwd, timeoutMs: 180_000 });
  if (result.code !== 0) throw new Error(`wharf ${args.join(' ')} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

interface BuildLogLine {
  t: string;
  s: string;
  m: string;
}

/** Step durations from a deployment's build log: each "==> [i/n] …" line until the next "==>" line. */
export async function buildSteps(wharf: Wharf, cwd: string, deployment: number): Promise<{ steps: StepTiming[]; buildMs: number | null }> {
  const out = (await cli(wharf, ['logs', '--build', '--json', '--deployment', String(deployment)], cwd)).stdout;
  const lines = out
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as BuildLogLine);
  const steps: StepTiming[] = [];
  for (const [i, line] of lines.entries()) {
    const match = /^==> \[\d+\/\d+\] (.*)$/.exec(line.m);
    if (!match) continue;
    const next = lines.slice(i + 1).find((l) => l.m.startsWith('==>'));
    if (next) steps.push({ step: match[1]!, durationMs: Date.parse(next.t) - Date.parse(line.t) });
  }
  const first = lines[0];
  const start = lines.find((l) => l.m.startsWith('==> start:'));
  return { steps, buildMs: first && start ? Date.parse(start.t) - Date.parse(first.t) : null };
}

const deploymentNumber = (stdout: string): number => {
  const match = /Deployment #(\d+) is live/.exec(stdout);
  if (!match) throw new Error(`no "Deployment #N is live" in:\n${stdout}`);
  return Number(match[1]);
};

/** Runs an argv array to completion (bounded), failing on a non-zero exit. */
export function run(argv: string[], cwd: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${argv.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

/**
 * Turns a copy of examples/node-web into an app with one real dependency (ms) and a lockfile,
 * so the build's `npm ci` really installs something.
 */
export async function addDependency(dir: string): Promise<void> {
  const pkgFile = path.join(dir, 'package.json');
  const pkg = JSON.parse(await readFile(pkgFile, 'utf8')) as Record<string, unknown>;
  pkg.dependencies = { ms: '2.1.3' };
  await writeFile(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
  await run(['npm', 'install', '--package-lock-only', '--no-audit', '--no-fund', '--ignore-scripts'], dir, 120_000);
  const serverFile = path.join(dir, 'server.js');
  const server = await readFile(serverFile, 'utf8');
  // The app loads it, so a missing install fails the deployment instead of passing unseen.
  await writeFile(serverFile, `require('ms');\n${server}`);
}

/** Sets the version the app reports when APP_VERSION is unset (a source change). */
export async function setSourceVersion(dir: string, version: string): Promise<void> {
  const serverFile = path.join(dir, 'server.js');
  const server = await readFile(serverFile, 'utf8');
  const next = server.replace(/process\.env\.APP_VERSION \?\? '[^']*'/, `process.env.APP_VERSION ?? '${version}'`);
  if (next === server && !server.includes(`?? '${version}'`)) throw new Error('server.js: no APP_VERSION default to change');
  await writeFile(serverFile, next);
}

/** `wharf up` of the folder as it is now, until the router serves `version`. */
export async function timeUp(wharf: Wharf, dir: string, host: string, version: string, label: string): Promise<UpTiming> {
  const { answeringMs, cliMs, cli: result } = await timeUntilServed(wharf, ['up'], dir, host, version, 300_000);
  const deployment = deploymentNumber(result.stdout);
  const { steps, buildMs } = await buildSteps(wharf, dir, deployment);
  const install = steps.find((s) => /^(npm (ci|install)|yarn install|pnpm install|corepack)/.test(s.step)) ?? null;
  return { label, deployment, answeringMs, cliMs, install, buildMs };
}

/** `wharf rollback <deployment>` until the router serves `toVersion` again. */
export async function timeRollback(wharf: Wharf, dir: string, host: string, deployment: number, fromVersion: string, toVersion: string): Promise<RollbackTiming> {
  const { answeringMs, cliMs } = await timeUntilServed(wharf, ['rollback', String(deployment)], dir, host, toVersion, 120_000);
  return { deployment, fromVersion, toVersion, answeringMs, cliMs };
}

/** Runs a CLI command to completion, then waits until the router serves `version`. */
export async function deployAndWait(wharf: Wharf, args: string[], dir: string, host: string, version: string): Promise<void> {
  await timeUntilServed(wharf, args, dir, host, version, 300_000);
}
