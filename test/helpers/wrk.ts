import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';

// wrk, the strict load generator of docs/testing.md: it counts every socket error (connect, read,
// write, timeout) and every non-2xx/3xx response, where autocannon reconnects silently. Always
// run as an argv array, bounded in threads, connections and duration.

export interface WrkSocketErrors {
  connect: number;
  read: number;
  write: number;
  timeout: number;
}

export interface WrkResult {
  requests: number;
  /** Seconds wrk says it ran. */
  seconds: number;
  rps: number;
  p99Ms: number | null;
  socketErrors: WrkSocketErrors;
  non2xx: number;
  /** wrk's own text, for failure messages. */
  output: string;
}

export interface WrkOptions {
  /** The router's port; the request goes to 127.0.0.1. */
  port: number;
  /** The service host, sent as the Host header. */
  host: string;
  path: string;
  threads?: number;
  connections?: number;
  /** Upper bound; `stop()` ends the run earlier. */
  durationS: number;
  /** A response slower than this counts as a timeout error (wrk's --timeout). */
  timeoutS?: number;
  bin?: string;
}

export interface WrkRun {
  child: ChildProcess;
  argv: string[];
  /** Resolves with the parsed figures when wrk exits (rejects if it printed none). */
  result: Promise<WrkResult>;
  /** True until wrk has exited. */
  running(): boolean;
  /** SIGINT: wrk stops early and still prints its figures. */
  stop(): void;
  /** SIGKILL, for cleanup. */
  kill(): void;
}

const INSTALL_HINT = 'wrk is not installed: install it (`apt-get install wrk`) to run the zero-downtime test';

/** The wrk binary, or null when it cannot be run. */
export function findWrk(bin = 'wrk'): string | null {
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 5_000 });
  if (probe.error) return null;
  return /wrk/i.test(`${probe.stdout}${probe.stderr}`) ? bin : null;
}

/**
 * Returns the wrk binary, or skips the test with the reason (under CI=true the runner,
 * scripts/run-tests.mjs, fails a skip that is not on its allow-list). Null when skipped.
 */
export function requireWrk(t: TestContext, bin = 'wrk'): string | null {
  const found = findWrk(bin);
  if (found !== null) return found;
  t.skip(INSTALL_HINT);
  return null;
}

export function wrkArgv(opts: WrkOptions): string[] {
  const threads = opts.threads ?? 1;
  const connections = opts.connections ?? 8;
  if (!Number.isInteger(opts.durationS) || opts.durationS < 1 || opts.durationS > 600) throw new Error(`wrk duration out of bounds: ${opts.durationS}`);
  if (connections < threads || connections > 256) throw new Error(`wrk connections out of bounds: ${connections}`);
  return [
    `-t${threads}`,
    `-c${connections}`,
    `-d${opts.durationS}s`,
    `--timeout`,
    `${opts.timeoutS ?? 5}s`,
    '--latency',
    '-H',
    `Host: ${opts.host}`,
    `http://127.0.0.1:${opts.port}${opts.path}`,
  ];
}

export function startWrk(opts: WrkOptions): WrkRun {
  const argv = wrkArgv(opts);
  const child = spawn(opts.bin ?? 'wrk', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // A hard bound even if wrk hangs: its duration plus a margin.
  const guard = setTimeout(() => child.kill('SIGKILL'), (opts.durationS + 30) * 1000);
  const result = new Promise<WrkResult>((resolve, reject) => {
    child.on('error', (error) => {
      exited = true;
      clearTimeout(guard);
      reject(error);
    });
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(guard);
      try {
        resolve(parseWrk(stdout));
      } catch (error) {
        reject(new Error(`wrk ${argv.join(' ')} ended (code ${code}, signal ${signal}) without figures: ${(error as Error).message}\n${stdout}\n${stderr}`));
      }
    });
  });
  // Callers may look at the result only at the end; never an unhandled rejection meanwhile.
  result.catch(() => undefined);
  return {
    child,
    argv,
    result,
    running: () => !exited,
    stop: () => {
      if (!exited) child.kill('SIGINT');
    },
    kill: () => {
      if (!exited) child.kill('SIGKILL');
    },
  };
}

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function toMs(value: string, unit: string): number {
  const factor = TIME_UNITS[unit];
  if (factor === undefined) throw new Error(`unknown wrk time unit '${unit}'`);
  return Number(value) * factor;
}

/**
 * wrk's report. The "Socket errors" and "Non-2xx or 3xx responses" lines appear only when
 * non-zero: absent means 0.
 */
export function parseWrk(output: string): WrkResult {
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)/m.exec(output);
  if (!total) throw new Error('no "N requests in T" line');
  const rps = /^Requests\/sec:\s*([\d.]+)/m.exec(output);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$/m.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requests: Number(total[1]),
    seconds: toMs(total[2], total[3]) / 1000,
    rps: rps ? Number(rps[1]) : 0,
    p99Ms: p99 ? toMs(p99[1], p99[2]) : null,
    socketErrors: socket
      ? { connect: Number(socket[1]), read: Number(socket[2]), write: Number(socket[3]), timeout: Number(socket[4]) }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    output,
  };
}

export function describeWrk(r: WrkResult): string {
  const e = r.socketErrors;
  return (
    `${r.requests} requests in ${r.seconds.toFixed(1)} s (${r.rps.toFixed(0)} req/s, p99 ${r.p99Ms === null ? '?' : r.p99Ms.toFixed(1)} ms); ` +
    `socket errors connect ${e.connect} read ${e.read} write ${e.write} timeout ${e.timeout}; non-2xx ${r.non2xx}`
  );
}
