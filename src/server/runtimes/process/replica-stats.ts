import type { ReplicaStats } from '../../../core/runtime.js';
import type { SupervisedStatus } from '../../../supervisor/status-file.js';
import { GroupCpuClock, processGroups, rssBytes } from './proc-stats.js';

// stats() of the process runtime: a replica's usage is its app's whole process group (pgid =
// the app's pid), read from /proc. CPU time is kept per run as a clock that never goes back
// (proc-stats.ts), so a worker that exits between samples does not make it shrink.

const LIVE = new Set(['starting', 'running', 'unhealthy', 'restarting']);

export class ReplicaStatsReader {
  private readonly clocks = new Map<string, { appPid: number; clock: GroupCpuClock }>();

  constructor(private readonly procDir = '/proc') {}

  async read(statuses: readonly SupervisedStatus[]): Promise<ReplicaStats[]> {
    const live = statuses.filter((s) => LIVE.has(s.state) && s.appPid);
    for (const id of this.clocks.keys()) if (!live.some((s) => s.replicaId === id)) this.clocks.delete(id);
    if (live.length === 0) return [];
    const groups = await processGroups(this.procDir);
    const stats: ReplicaStats[] = [];
    for (const s of live) {
      const procs = groups.get(s.appPid!) ?? [];
      if (procs.length === 0) continue;
      let entry = this.clocks.get(s.replicaId);
      // A restart is a new run (a new group): its CPU time counts from zero.
      if (!entry || entry.appPid !== s.appPid) this.clocks.set(s.replicaId, (entry = { appPid: s.appPid!, clock: new GroupCpuClock() }));
      let memoryBytes = 0;
      for (const p of procs) memoryBytes += await rssBytes(p.pid, this.procDir);
      stats.push({ replicaId: s.replicaId, cpuSeconds: entry.clock.sample(procs), memoryBytes, memoryLimitBytes: null, at: Date.now() });
    }
    return stats;
  }
}
