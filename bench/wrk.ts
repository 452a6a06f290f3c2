import { spawn } from 'node:child_process';

// Runs wrk as an argv array, bounded in time, and reads its text report.

export const WRK = '/usr/bin/wrk';

export interface WrkOptions {
  url: string;
  /** Sent as the Host header (the router picks the service by it). */
  host?: string;
  threads: number;
  connections: number;
  durationS: number;
}

export interface WrkResult {
  requests: number;
  rps: number;
  /** Milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  socketErrors: number;
  non2xx: number;
  raw: string;
}

export function wrkArgv(opts: WrkOptions): string[] {
  const argv = [`-t${opts.threads}`, `-c${opts.connections}`, `-d${opts.durationS}s`, '--latency'];
  if (opts.host) argv.push('-H', `Host: ${opts.host}`);
  argv.push(opts.url);
  return argv;
}

export async function runWrk(opts: WrkOptions): Promise<WrkResult> {
  const argv = wrkArgv(opts);
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(WRK, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // wrk stops itself after -d; this only guards against a hang.
    const timer = setTimeout(() => child.kill('SIGKILL'), (opts.durationS + 20) * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, stdout: out, stderr: err });
    });
  });
  if (code !== 0) throw new Error(`wrk ${argv.join(' ')} failed (exit ${code}): ${stderr || stdout}`);
  return parseWrk(stdout);
}

/** "123.45us" / "1.20ms" / "2.00s" / "1.5m" → milliseconds. */
export function durationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) throw new Error(`wrk: cannot read the duration '${text}'`);
  const value = Number(match[1]);
  const unit = match[2];
  return unit === 'us' ? value / 1000 : unit === 'ms' ? value : unit === 's' ? value * 1000 : value * 60_000;
}

export function parseWrk(raw: string): WrkResult {
  const need = (re: RegExp, what: string): RegExpExecArray => {
    const match = re.exec(raw);
    if (!match) throw new Error(`wrk: no ${what} in its output:\n${raw}`);
    return match;
  };
  const percentile = (p: number) => durationMs(need(new RegExp(`^\\s+${p}%\\s+(\\S+)$`, 'm'), `${p}% latency`)[1]!);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  return {
    requests: Number(need(/^\s*(\d+) requests in /m, 'request count')[1]),
    rps: Number(need(/^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec')[1]),
    p50: percentile(50),
    p90: percentile(90),
    p99: percentile(99),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(raw)?.[1] ?? 0),
    raw,
  };
}
