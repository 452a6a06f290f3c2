import type { RuntimeName } from '../../core/artifact.js';
import type { VolumeEngine } from '../volumes/engine.js';
import type { Readable } from 'node:stream';
import type { SourceDir } from '../../core/build.js';
import type { MetricsReader } from '../../core/metrics.js';
import type { Runtime } from '../../core/runtime.js';
import type { Logger } from '../deploy/context.js';
import type { BuildService, DatabaseAccess } from '../deploy/context.js';
import type { Deployer } from '../deploy/deployer.js';
import type { Keyring } from '../../shared/secrets/keyring.js';
import type { CronScheduler } from '../scheduler/scheduler.js';
import type { BackupService } from '../databases/backups.js';
import type { DatabaseManager } from '../databases/manager.js';
import type { RouteSync } from '../deploy/route-sync.js';
import type { ServerOptions } from '../options.js';
import type { Store } from '../store/store.js';
import type { RouteRegistry } from './registry.js';
import type { LogIndexer } from '../logstore/indexer.js';
import type { DrainService } from '../drains/service.js';

/** What the API's routes are given: made in main.ts, passed in, never imported as singletons. */
export interface ApiDeps {
  store: Store;
  runtime: Runtime;
  deployer: Deployer;
  routes: RouteSync;
  builds: BuildService;
  keyring: Keyring;
  scheduler: CronScheduler;
  databases?: DatabaseAccess;
  databaseManager: DatabaseManager;
  backups: BackupService;
  options: ServerOptions;
  registry: RouteRegistry;
  logger: Logger;
  storeSource(body: Readable): Promise<SourceDir>;
  version: string;
  /** Metric series for the metrics route (absent: the route answers that none are collected). */
  metrics?: MetricsReader;
  /** The log index (search, resumable tails); without it logs are read from files. */
  logIndex?: LogIndexer;
  /** Log drains (they read the log index); without them the drains routes answer 409. */
  drains?: DrainService;
  /** Volumes on runtimes other than the process one (docker: lazyDockerVolumes). */
  volumeEngines?: Partial<Record<RuntimeName, VolumeEngine>>;
}
