import { readdir, readFile } from 'node:fs/promises';

// CPU and memory of whole process groups from /proc (Linux): an app's group is everything
// started under its `sh -c`, workers and grandchildren included (pgid = the app's pid).

/** Linux's USER_HZ: utime and stime in /proc/<pid>/stat count in 1/100 s. */
export const CLK_TCK = 100;

export interface ProcStat {
  pid: number;
  pgid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Start time after boot, in clock ticks: tells a reused pid from the old process. */
  startTicks: number;
}

/** Parses /proc/<pid>/stat; the command name is in parentheses and may hold spaces and ')'. */
export function parseStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close === -1) return null;
  const pid = Number.parseInt(text, 10);
  // Fields after the name: state(3) ppid(4) pgrp(5) … utime(14) stime(15) … starttime(22).
  const rest = text.slice(close + 2).split(' ');
  const field = (n: number) => Number(rest[n - 3]);
  const stat = { pid, pgid: field(5), cpuTicks: field(14) + field(15), startTicks: field(22) };
  return Object.values(stat).every(Number.isFinite) ? stat : null;
}

/** VmRSS of /proc/<pid>/status, in bytes (0 for kernel threads and zombies). */
export function parseRssBytes(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Every process's stat, grouped by process group id. Processes that vanish meanwhile are skipped. */
export async function processGroups(procDir = '/proc'): Promise<Map<number, ProcStat[]>> {
  const groups = new Map<number, ProcStat[]>();
  let entries: string[];
  try {
    entries = await readdir(procDir);
  } catch {
    return groups;
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        try {
          const stat = parseStat(await readFile(`${procDir}/${e}/stat`, 'utf8'));
          if (!stat) return;
          const list = groups.get(stat.pgid);
          if (list) list.push(stat);
          else groups.set(stat.pgid, [stat]);
        } catch {
          /* exited meanwhile */
        }
      }),
  );
  return groups;
}

export async function rssBytes(pid: number, procDir = '/proc'): Promise<number> {
  try {
    return parseRssBytes(await readFile(`${procDir}/${pid}/status`, 'utf8'));
  } catch {
    return 0;
  }
}

/**
 * A process group's CPU time as one clock that never goes back: per pid, ticks since the last
 * sample are added (a pid first seen, or reused, counts from its start), so processes that end
 * between samples keep what they used. The first sample counts every live process from its start.
 */
export class GroupCpuClock {
  private pids = new Map<number, { ticks: number; start: number }>();
  private totalTicks = 0;

  /** CPU seconds of the group so far, after adding this sample. */
  sample(procs: readonly ProcStat[]): number {
    for (const p of procs) {
      const before = this.pids.get(p.pid);
      this.totalTicks += before && before.start === p.startTicks ? Math.max(0, p.cpuTicks - before.ticks) : p.cpuTicks;
    }
    this.pids = new Map(procs.map((p) => [p.pid, { ticks: p.cpuTicks, start: p.startTicks }]));
    return this.totalTicks / CLK_TCK;
  }
}
