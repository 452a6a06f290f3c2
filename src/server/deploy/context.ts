import type { ArtifactRef, RuntimeName } from '../../core/artifact.js';
import type { BuildPlan, BuiltArtifact, LogSink, SourceDir } from '../../core/build.js';
import type { RunAs, Runtime } from '../../core/runtime.js';
import type { ServiceSettings } from '../../core/settings.js';
import type { RouterClient } from '../../router/client.js';
import type { ServerOptions } from '../options.js';
import type { Store } from '../store/store.js';
import type { InstanceLocks } from './instance-locks.js';
import type { RouteSync } from './route-sync.js';

export interface BuildOptions {
  /** The artifact's id (a release folder's name, an image's tag). */
  artifactId: string;
  instanceId: string;
  /** The runtime the artifact is for: a release folder (process) or an image (docker). */
  runtime: RuntimeName;
  env: Record<string, string>;
  log: LogSink;
  signal?: AbortSignal;
  /** The build runs as the service's user in a folder of WHARF_APPS_DIR (execute.ts). */
  user?: RunAs | null;
  workRoot?: string;
}

/** Turning source into an artifact: the builders, behind one seam the pipeline talks to. */
export interface BuildService {
  plan(source: SourceDir, settings: ServiceSettings, context: { runtime: RuntimeName; variables: Readonly<Record<string, string>> }): Promise<BuildPlan>;
  build(plan: BuildPlan, source: SourceDir, opts: BuildOptions): Promise<BuiltArtifact>;
  /** Removes a kept artifact (release folder or image) once retention lets it go. */
  removeArtifact(ref: ArtifactRef): Promise<void>;
  sourceDir(digest: string): SourceDir;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What deploys need of managed databases (the DatabaseManager provides it). */
export interface DatabaseAccess {
  /** The variables a database service offers to references, or null for other services. */
  variablesOf(instanceId: string): Record<string, string> | null;
  /** DATABASE_MIGRATION_URL & co. of the databases a service references. */
  migrationVariables(instanceId: string): Record<string, string>;
  /** Passwords of the databases a service references, for the redactors. */
  credentialSecrets(instanceId: string): Array<{ key: string; value: string }>;
  /** Backs up the databases a service references before its migrations run. */
  backupBeforeMigrations(instanceId: string, log: (m: string) => void): Promise<void>;
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
  /** Set once the database manager exists (it needs this context itself). */
  databases?: DatabaseAccess;
}
