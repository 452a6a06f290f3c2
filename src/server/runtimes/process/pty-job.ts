import { accessSync, constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { spawn, type IPty } from 'node-pty';
import type { ExecExit, ExecSession, RunAs } from '../../../core/runtime.js';
import { asAppUser } from '../../isolation/setpriv.js';

// A one-off command on a real pseudo-terminal (`wharf exec -it`): node-pty forks it as a
// session leader with the pty as its controlling terminal, so job control, Ctrl-C (a byte the
// line discipline turns into SIGINT for the foreground group) and window sizes work as they do
// locally. The command is an argv array, never a shell string.

export interface PtyJobSpec {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** The service's user (setpriv drops to it, clearing supplementary groups). */
  user?: RunAs | null;
  cols: number;
  rows: number;
  /** $TERM for the program (the client's, checked by the caller). */
  term: string;
  timeoutMs: number;
  killGraceMs?: number;
}

export type PtyExit = ExecExit;

/** An ExecSession on a pty (hangUp: SIGHUP to the program's process group, SIGKILL after the grace), with its pid. */
export interface PtyJob extends ExecSession {
  readonly pid: number;
}

const signalNames = new Map<number, string>(Object.entries(osConstants.signals).map(([name, n]) => [n, name]));

export const clampSize = (n: number, fallback: number): number => (Number.isInteger(n) && n >= 1 ? Math.min(n, 1000) : fallback);

/** Where argv[0] would be executed from, or null: so a missing program is a clear error, not a dead terminal. */
export function findExecutable(file: string, cwd: string, envPath: string | undefined): string | null {
  const executable = (candidate: string) => {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (file.includes('/')) {
    const full = path.resolve(cwd, file);
    return executable(full) ? full : null;
  }
  for (const dir of (envPath ?? '').split(':')) {
    if (dir === '') continue;
    const full = path.resolve(cwd, dir, file);
    if (executable(full)) return full;
  }
  return null;
}

export function startPtyJob(spec: PtyJobSpec): PtyJob {
  const [file, ...args] = spec.user ? asAppUser(spec.command, spec.user) : spec.command;
  const pty: IPty = spawn(file!, args, {
    name: spec.term,
    cols: clampSize(spec.cols, 80),
    rows: clampSize(spec.rows, 24),
    cwd: spec.cwd,
    env: { ...spec.env, TERM: spec.term },
    encoding: null,
  });
  const pid = pty.pid;
  let ended = false;
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;

  const signalGroup = (signal: NodeJS.Signals) => {
    if (ended) return;
    try {
      process.kill(-pid, signal); // the whole session's group: the shell and what it started
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    }
  };
  const hangUp = () => {
    if (ended || killTimer) return;
    signalGroup('SIGHUP');
    killTimer = setTimeout(() => signalGroup('SIGKILL'), spec.killGraceMs ?? 2000);
    killTimer.unref();
  };
  const timeout = setTimeout(() => {
    timedOut = true;
    hangUp();
  }, spec.timeoutMs);
  timeout.unref();

  const exited = new Promise<PtyExit>((resolve) => {
    pty.onExit(({ exitCode, signal }) => {
      ended = true;
      clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
      resolve(signal ? { code: null, signal: signalNames.get(signal) ?? String(signal), timedOut } : { code: exitCode, signal: null, timedOut });
    });
  });

  return {
    pid,
    write: (data) => {
      if (!ended) pty.write(data);
    },
    resize: (cols, rows) => {
      if (!ended) pty.resize(clampSize(cols, pty.cols), clampSize(rows, pty.rows));
    },
    onData: (listener) => {
      pty.onData((data: string | Buffer) => listener(typeof data === 'string' ? Buffer.from(data) : data));
    },
    pause: () => pty.pause(),
    resume: () => pty.resume(),
    hangUp,
    exited,
  };
}
