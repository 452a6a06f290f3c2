import fs from 'node:fs/promises';
import path from 'node:path';
import { groupAlive, processAlive, terminateGroup } from '../../../supervisor/process-group.js';

// Is a recorded pid still the process we started? A pid can be reused after a crash, so
// liveness is checked against /proc (command line or working directory), never the pid alone.

async function procCmdline(pid: number): Promise<string[] | null> {
  try {
    const raw = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((part) => part !== '');
  } catch {
    return null;
  }
}

async function procCwd(pid: number): Promise<string | null> {
  try {
    return await fs.readlink(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}

const hasProc = async () =>
  fs.access('/proc/self/cmdline').then(
    () => true,
    () => false,
  );

/** The supervisor of `dir` is alive: its pid exists and its argv names the replica dir. */
export async function supervisorAlive(pid: number | null, dir: string): Promise<boolean> {
  if (!pid || !processAlive(pid)) return false;
  if (!(await hasProc())) return true;
  const argv = await procCmdline(pid);
  return argv !== null && argv.includes(path.resolve(dir));
}

/** The app group `pgid` is still the one started for `command` in `cwd`. */
export async function appGroupIsOurs(pgid: number, cwd: string, command: string[]): Promise<boolean> {
  if (!groupAlive(pgid)) return false;
  // Linux never reuses a pid while it names a live group: a group without its leader is ours.
  if (!processAlive(pgid)) return true;
  if (!(await hasProc())) return true;
  const argv = await procCmdline(pgid);
  if (argv && argv.join('\0') === command.join('\0')) return true;
  const actualCwd = await procCwd(pgid);
  if (!actualCwd) return false;
  const expected = await fs.realpath(cwd).catch(() => path.resolve(cwd));
  return actualCwd === expected;
}

/** Ends what is left of an app group after its supervisor died: SIGTERM, grace, SIGKILL. */
export async function killLeftoverGroup(pgid: number, graceMs: number): Promise<void> {
  await terminateGroup(pgid, graceMs);
}
