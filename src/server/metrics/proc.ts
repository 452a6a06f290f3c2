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
 * CPU % of one process group between two samples: per pid, ticks since the last sample (a pid
 * first seen, or reused, counts from its start). Processes that ended between samples take
 * their last ticks with them: a short undercount, never a negative value.
 */
export class GroupCpu {
  private last: { at: number; pids: Map<number, { ticks: number; start: number }> } | null = null;

  /** Returns null on the first sample (no interval yet). `at` is a monotonic time in ms. */
  sample(procs: readonly ProcStat[], at: number): number | null {
    const pids = new Map(procs.map((p) => [p.pid, { ticks: p.cpuTicks, start: p.startTicks }]));
    const previous = this.last;
    this.last = { at, pids };
    if (!previous || at <= previous.at) return null;
    let ticks = 0;
    for (const p of procs) {
      const before = previous.pids.get(p.pid);
      ticks += before && before.start === p.startTicks ? Math.max(0, p.cpuTicks - before.ticks) : p.cpuTicks;
    }
    const seconds = (at - previous.at) / 1000;
    return (ticks / CLK_TCK / seconds) * 100;
  }
}
