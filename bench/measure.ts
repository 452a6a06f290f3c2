import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';

// /proc readers: resident memory and CPU time of processes, and the children of a process.

/** VmRSS of a process in bytes, or null when it is gone. */
export async function rssBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

interface ProcStat {
  ppid: number;
  /** utime and stime, in clock ticks, over all the process's threads. */
  utime: number;
  stime: number;
}

async function procStat(pid: number): Promise<ProcStat | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]) };
  } catch {
    return null;
  }
}

/** Direct and indirect children of a process (not the process itself). */
export async function descendants(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await procStat(Number(name));
    if (stat) parents.set(Number(name), stat.ppid);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parents) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

let ticksPerSecond: number | null = null;

/** The kernel's USER_HZ (getconf CLK_TCK); 100 on every usual Linux. */
export async function clockTicksPerSecond(): Promise<number> {
  if (ticksPerSecond !== null) return ticksPerSecond;
  const out = await new Promise<string>((resolve) => {
    let text = '';
    const child = spawn('getconf', ['CLK_TCK'], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', () => resolve(''));
    child.on('close', () => resolve(text));
  });
  const value = Number(out.trim());
  ticksPerSecond = Number.isInteger(value) && value > 0 ? value : 100;
  return ticksPerSecond;
}

export interface CpuTime {
  user: number;
  sys: number;
}

/** CPU seconds (user and system) used so far by these processes together; gone ones count 0. */
export async function cpuTime(pids: number[]): Promise<CpuTime> {
  const hz = await clockTicksPerSecond();
  let user = 0;
  let sys = 0;
  for (const pid of pids) {
    const stat = await procStat(pid);
    user += stat?.utime ?? 0;
    sys += stat?.stime ?? 0;
  }
  return { user: user / hz, sys: sys / hz };
}

/** CPU seconds (user + system) used so far by these processes together. */
export async function cpuSeconds(pids: number[]): Promise<number> {
  const { user, sys } = await cpuTime(pids);
  return user + sys;
}

export const mb = (bytes: number | null): string => (bytes === null ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** CPU seconds the whole machine spent busy so far (all cores: user, nice, system, irq, softirq, steal). */
export async function machineBusySeconds(): Promise<number> {
  const hz = await clockTicksPerSecond();
  const first = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const [user, nice, system, , , irq, softirq, steal] = first.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / hz;
}

/**
 * CPU seconds of this process's children that have exited and been waited for (cutime + cstime
 * of /proc/self/stat): the delta across a wrk run is wrk's own CPU.
 */
export async function reapedChildrenSeconds(): Promise<number> {
  const hz = await clockTicksPerSecond();
  const text = await readFile('/proc/self/stat', 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / hz;
}
