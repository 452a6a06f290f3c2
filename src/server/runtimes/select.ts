import path from 'node:path';
import { RUNTIME_NAMES, type RuntimeName } from '../../core/artifact.js';
import { WharfError } from '../../core/errors.js';
import type { Project } from '../../core/model.js';
import type { Runtime } from '../../core/runtime.js';
import type { SecretBox } from '../../shared/secrets/secret-box.js';
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
  return projectRuntime(ctx.store.projects.getProject(service.projectId), ctx.options);
}

export function projectRuntime(project: Pick<Project, 'runtime'>, options: Pick<ServerOptions, 'runtime'>): RuntimeName {
  return project.runtime ?? options.runtime;
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
  /** Seals replicas' secret values in the driver's state folder, so an adopting control plane still redacts. */
  seal?: { box: SecretBox };
}

/** The docker driver, loaded on first use (dockerode stays out of a process-only server). */
export async function loadDockerRuntime(options: DockerRuntimeLoadOptions): Promise<Runtime> {
  try {
    const { DockerRuntime } = await import('./docker/docker-runtime.js');
    return new DockerRuntime({ host: options.host, home: options.home, stateDir: path.join(options.home, 'docker'), ...(options.seal ? { seal: options.seal } : {}) });
  } catch (error) {
    throw new WharfError('RUNTIME_ERROR', `the docker runtime is not available: ${(error as Error).message}`, {
      hint: 'Check that dependencies are installed (`npm ci`), or use the process runtime (unset WHARF_RUNTIME, or `runtime = "process"` in the project file).',
      cause: error,
    });
  }
}
