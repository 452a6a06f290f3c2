import type Dockerode from 'dockerode';
import type { ReplicaStats } from '../../../core/runtime.js';

// One container's usage from the engine's one-shot stats: CPU time of its cgroup, and memory
// as `docker stats` shows it (usage less the page cache: inactive_file on cgroup v2,
// total_inactive_file or cache on v1).

interface EngineStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number | undefined> };
}

export function statsFrom(replicaId: string, raw: EngineStats, limitBytes: number | null, at = Date.now()): ReplicaStats {
  const mem = raw.memory_stats ?? {};
  const s = mem.stats ?? {};
  const cache = s.inactive_file ?? s.total_inactive_file ?? s.cache ?? 0;
  return {
    replicaId,
    cpuSeconds: (raw.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
    memoryBytes: Math.max(0, (mem.usage ?? 0) - cache),
    memoryLimitBytes: limitBytes,
    at,
  };
}

export async function containerStats(container: Dockerode.Container, replicaId: string, limitBytes: number | null): Promise<ReplicaStats> {
  // one-shot (API 1.41): no second sample for precpu_stats, which would cost ~1 s per container.
  const raw = (await container.stats({ stream: false, 'one-shot': true } as { stream: false })) as unknown as EngineStats;
  return statsFrom(replicaId, raw, limitBytes);
}
