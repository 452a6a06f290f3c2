import { spawn } from 'node:child_process';
import readline from 'node:readline';
import type { LogSink } from '../../core/build.js';
import type { RunAs } from '../../core/runtime.js';

// The one place the control plane runs a command to completion (builds, tools). Always an
// argv array, never a shell string; the child gets its own process group so a timeout or
// abort ends everything it started.

export interface RunCommandOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  onLine?: LogSink;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** SIGTERM → SIGKILL grace when the command is cut short. */
  killGraceMs?: number;
  /** Run as this user (Node's spawn also clears the supplementary groups); needs root. */
  user?: RunAs | null;
}

export interface RunCommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
}

export function runCommand(argv: readonly string[], options: RunCommandOptions): Promise<RunCommandResult> {
  const [file, ...args] = argv;
  if (!file) throw new TypeError('runCommand needs at least one argument');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    });
    let timedOut = false;
    let aborted = false;
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    const cut = () => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 5000).unref();
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            cut();
          }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      cut();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const sink = options.onLine;
    if (sink) {
      readline.createInterface({ input: child.stdout }).on('line', (l) => sink(l, 'out'));
      readline.createInterface({ input: child.stderr }).on('line', (l) => sink(l, 'err'));
    } else {
      child.stdout.resume();
      child.stderr.resume();
    }
    child.on('error', (err) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode, signal, timedOut, aborted });
    });
  });
}
