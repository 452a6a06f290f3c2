import { RUNTIME_NAMES, type RuntimeName } from '../../core/artifact.js';
import { WharfError } from '../../core/errors.js';
import type { Runtime } from '../../core/runtime.js';
import type { ServerOptions } from '../options.js';
import type { Store } from '../store/store.js';

// Which runtime an instance builds for and runs on: the project's own `runtime` (project file
// `runtime = "docker"`, stored on the project) else the installation's WHARF_RUNTIME (default
// process). What already runs keeps running where it is: a replica's driver follows from its
// artifact (runtimes.ts), so switching a project takes effect at its next deploy.

export function runtimeFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeName {
  const raw = env.WHARF_RUNTIME;
  if (raw === undefined || raw === '') return 'process';
  if ((RUNTIME_NAMES as readonly string[]).includes(raw)) return raw as RuntimeName;
  throw new Error(`WHARF_RUNTIME must be one of ${RUNTIME_NAMES.join(', ')}, got '${raw}'`);
}

export function runtimeFor(ctx: { store: Store; options: Pick<ServerOptions, 'runtime'> }, instanceId: string): RuntimeName {
  const instance = ctx.store.projects.getInstance(instanceId);
  const service = ctx.store.projects.getService(instance.serviceId);
  return ctx.store.projects.getProject(service.projectId).runtime ?? ctx.options.runtime;
}

/** Whether anything on this installation needs the docker driver at start (so it is loaded then). */
export function dockerWanted(store: Store, options: Pick<ServerOptions, 'runtime'>): boolean {
  if (options.runtime === 'docker') return true;
  if (store.projects.listProjects().some((p) => p.runtime === 'docker')) return true;
  return store.artifacts.anyLiveImage();
}

/** What the docker driver is made from (src/server/runtimes/docker/docker-runtime.ts). */
export interface DockerRuntimeLoadOptions {
  /** WHARF_DOCKER_HOST: unix:///path or tcp://host:port. */
  host: string;
  /** WHARF_HOME: containers and networks are labelled with a hash of it. */
  home: string;
  logsDir: string;
}

// A variable, not a literal: the driver is optional at build time and loaded only when used,
// so dockerode and the driver stay out of a process-only installation.
const DOCKER_DRIVER_MODULE = './docker/docker-runtime.js';

/** The docker driver, loaded on first use; a clear error when this build has none. */
export async function loadDockerRuntime(options: DockerRuntimeLoadOptions): Promise<Runtime> {
  let mod: { DockerRuntime?: new (options: DockerRuntimeLoadOptions) => Runtime };
  try {
    mod = (await import(DOCKER_DRIVER_MODULE)) as typeof mod;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ERR_MODULE_NOT_FOUND' ? 'this build of Wharf has no docker driver' : (error as Error).message;
    throw new WharfError('RUNTIME_ERROR', `the docker runtime is not available: ${why}`, {
      hint: 'Use the process runtime (unset WHARF_RUNTIME, or `runtime = "process"` in the project file), or install a Wharf with the docker driver.',
      cause: error,
    });
  }
  if (!mod.DockerRuntime) {
    throw new WharfError('RUNTIME_ERROR', 'the docker runtime is not available: its module exports no DockerRuntime', {
      hint: 'Reinstall Wharf; use the process runtime meanwhile.',
    });
  }
  return new mod.DockerRuntime(options);
}
