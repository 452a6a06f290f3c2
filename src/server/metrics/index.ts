import path from 'node:path';
import type { WharfPaths } from '../../core/paths.js';
import type { ReplicaStatus } from '../../core/runtime.js';
import type { Logger } from '../deploy/context.js';
import { MetricsCollector, metricsIntervalFromEnv, type MetricsCollectorOptions } from './collector.js';
import type { DatabaseStatsSource } from './database-stats.js';
import { MetricsStore } from './metrics-store.js';
import { parseRetention } from './retention.js';

export { MetricsCollector, metricsIntervalFromEnv } from './collector.js';
export { MetricsStore } from './metrics-store.js';
export type { DatabaseStatsSource } from './database-stats.js';

export function metricsDatabase(paths: Pick<WharfPaths, 'home'>): string {
  return path.join(paths.home, 'metrics.db');
}

export interface Metrics {
  /** The MetricsReader for the API and alert rules. */
  store: MetricsStore;
  collector: MetricsCollector;
  /** Stops collecting and closes metrics.db. */
  stop(): Promise<void>;
}

/**
 * Opens <home>/metrics.db and starts collecting; the control plane's one call. Settings from
 * the environment: WHARF_METRICS_INTERVAL_MS (tick, default 10000), WHARF_METRICS_RETENTION.
 */
export function startMetrics(deps: {
  paths: Pick<WharfPaths, 'home' | 'trafficLog'>;
  runtime: MetricsCollectorOptions['runtime'];
  replicas: () => Array<{ id: string; instanceId: string; routed: boolean }>;
  /** The databases whose connections and size are collected. */
  databases?: () => DatabaseStatsSource[];
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
}): Metrics {
  const env = deps.env ?? process.env;
  const store = new MetricsStore(metricsDatabase(deps.paths), { retention: parseRetention(env.WHARF_METRICS_RETENTION) });
  const collector = new MetricsCollector({
    store,
    runtime: deps.runtime,
    replicas: deps.replicas,
    trafficLog: deps.paths.trafficLog,
    ...(deps.databases ? { databases: deps.databases } : {}),
    intervalMs: metricsIntervalFromEnv(env),
    logger: deps.logger,
  });
  collector.start();
  return {
    store,
    collector,
    async stop() {
      await collector.stop();
      store.close();
    },
  };
}
