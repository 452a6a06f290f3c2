import type { BuildPlan, LogSink, SourceDir } from '../../core/build.js';
import type { Runtime } from '../../core/runtime.js';
import type { ServiceSettings } from '../../core/settings.js';
import type { RouterClient } from '../../router/client.js';
import type { ServerOptions } from '../options.js';
import type { Store } from '../store/store.js';
import type { InstanceLocks } from './instance-locks.js';
import type { RouteSync } from './route-sync.js';

/** Turning source into a release: the builders, behind one seam the pipeline talks to. */
export interface BuildService {
  plan(source: SourceDir, settings: ServiceSettings): Promise<BuildPlan>;
  build(plan: BuildPlan, source: SourceDir, opts: { releaseDir: string; env: Record<string, string>; log: LogSink; signal?: AbortSignal }): Promise<void>;
  removeRelease(dir: string): Promise<void>;
  sourceDir(digest: string): SourceDir;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Everything the deploy pipeline and the reconciler need, made once in main.ts. */
export interface DeployContext {
  store: Store;
  runtime: Runtime;
  router: RouterClient;
  routes: RouteSync;
  builds: BuildService;
  locks: InstanceLocks;
  options: ServerOptions;
  logger: Logger;
}
