import { spawn, type ChildProcess } from 'node:child_process';
import type { ServerCommand } from '../../../core/database.js';

// For the database integration tests: runs a provider's ServerCommand the way the supervisor
// does (argv, its env, its cwd, its own process group) and stops it with SIGTERM, then SIGKILL.

export interface RunningServer {
  child: ChildProcess;
  /** The last few KB the server printed, for failure messages. */
  log(): string;
  exited(): boolean;
  /** SIGTERM (a clean shutdown that flushes data), SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

export function startServer(command: ServerCommand): RunningServer {
  const [bin, ...args] = command.argv;
  if (!bin) throw new TypeError('empty server command');
  const child = spawn(bin, args, { cwd: command.cwd, env: command.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => keep(Buffer.from(`spawn failed: ${err.message}\n`)));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  return {
    child,
    log: () => log,
    exited,
    async stop(graceMs = 20_000) {
      if (exited() || child.pid === undefined) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
      signal('SIGKILL'); // anything the server left in its group
    },
  };
}
