import path from 'node:path';
import type { WharfPaths } from '../../core/paths.js';
import type { Logger } from '../deploy/context.js';
import type { Store } from '../store/store.js';
import { LogIndexer, retentionFromEnv } from './indexer.js';

export { LogIndexer } from './indexer.js';

/**
 * The control plane's log index, started: <home>/logs.db fed from <home>/logs. It ends itself
 * when the state store it names instances with is closed (the control plane's stop), so the
 * composition root needs one line for it.
 */
export function startLogIndex(deps: { paths: WharfPaths; store: Store; logger: Logger }): LogIndexer {
  const { paths, store, logger } = deps;
  const indexer = new LogIndexer({
    logsDir: paths.logs,
    dbFile: path.join(paths.home, 'logs.db'),
    ...retentionFromEnv(),
    resolve(instanceId) {
      if (!store.db.open) return null;
      const found = store.db.prepare('SELECT s.project_id AS project, i.environment_id AS environment, i.service_id AS service FROM service_instances i JOIN services s ON s.id = i.service_id WHERE i.id = ?').get(instanceId) as
        | { project: string; environment: string; service: string }
        | undefined;
      return found ?? null;
    },
    onError: (error) => logger.error({ err: error }, 'log index'),
  });
  indexer.start();
  const watch = setInterval(() => {
    if (store.db.open) return;
    clearInterval(watch);
    void indexer.stop();
  }, 250);
  watch.unref();
  return indexer;
}
