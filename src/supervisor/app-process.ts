import { spawn } from 'node:child_process';
import readline from 'node:readline';
import type { AppExit } from './restart-policy.js';
import type { LogWriter } from '../shared/log-writer.js';
import { groupAlive, terminateGroup } from './process-group.js';
import { LineRateLimiter, rateLimitFromEnv } from './rate-limit.js';
import type { SupervisedSpec } from './status-file.js';

// One run of the app: spawned in its own process group, every output line logged.

const PIPE_DRAIN_MS = 250;

// One bucket per replica (a supervisor writes one replica's log), kept across the app's restarts
// so a crash loop cannot reset it. Limits come from the supervisor's environment (rate-limit.ts).
const limiters = new WeakMap<LogWriter, LineRateLimiter>();
function limiterFor(log: LogWriter): LineRateLimiter {
  let limiter = limiters.get(log);
  if (!limiter) {
    limiter = new LineRateLimiter(rateLimitFromEnv(), (message) => log.write('sys', message));
    limiters.set(log, limiter);
  }
  return limiter;
}

export class AppProcess {
  readonly pid: number | null;
  readonly startedAt = new Date();
  readonly exited: Promise<AppExit>;
  /** Set when Wharf ends the app itself for a reason that counts as a failure. */
  forcedReason: string | null = null;
  private hasExited = false;

  constructor(spec: SupervisedSpec, log: LogWriter) {
    const [file, ...args] = spec.command;
    const child = spawn(file!, args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // The supervisor may be root; the app runs as its service's own user (libuv also drops
      // the supplementary groups when it changes user).
      ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
    });
    this.pid = child.pid ?? null;
    // Use 'exit', not 'close': a grandchild may hold the pipes open after the app is gone.
    this.exited = new Promise<AppExit>((resolve) => {
      const done = (exit: AppExit) => {
        if (this.hasExited) return;
        this.hasExited = true;
        resolve(exit);
      };
      child.once('error', (err) => done({ code: null, signal: null, error: err.message }));
      // Let the last lines drain into the log first ('close'), but not for long: a
      // grandchild holding the pipes must not delay the restart.
      child.once('exit', (code, signal) => {
        const timer = setTimeout(() => done({ code, signal }), PIPE_DRAIN_MS);
        child.once('close', () => {
          clearTimeout(timer);
          limiterFor(log).flush();
          done({ code, signal });
        });
      });
    });
    // Pipes are always read at full speed; a flood is cut here, after reading, never by
    // making the app wait on a full pipe.
    const limiter = limiterFor(log);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (limiter.admit()) log.write('out', line);
    });
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      if (limiter.admit()) log.write('err', line);
    });
    child.stdout.on('error', () => {});
    child.stderr.on('error', () => {});
  }

  get running(): boolean {
    return this.pid !== null && !this.hasExited;
  }

  /** Ends the app and everything in its group: SIGTERM, grace, SIGKILL. */
  async stop(graceMs: number): Promise<AppExit> {
    if (this.pid !== null && (this.running || groupAlive(this.pid))) await terminateGroup(this.pid, graceMs);
    return this.exited;
  }
}
