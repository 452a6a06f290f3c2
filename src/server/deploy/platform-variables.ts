import type { InstanceContext } from '../store/projects.js';
import { publicUrl, serviceHost, type ServerOptions } from '../options.js';
import { volumeFolder } from '../volumes/folder.js';
import { volumeName } from '../volumes/names.js';
import { projectRuntime } from '../runtimes/select.js';
import { privateDomain } from './placement.js';

// Variables Wharf provides to every deployment, under Railway's names (so apps move over
// unchanged) and Wharf's own. Per-replica ones (PORT, replica id) are added at start.

export function platformVariables(options: ServerOptions, ctx: InstanceContext, deploymentId: string): Record<string, string> {
  const host = serviceHost(options, {
    project: ctx.project.name,
    environment: ctx.environment.name,
    service: ctx.service.name,
  });
  const shared = {
    PUBLIC_DOMAIN: host,
    PUBLIC_URL: publicUrl(options, host),
    ...privateAddress(options, ctx),
    ...volumeVariables(options, ctx),
    PROJECT_NAME: ctx.project.name,
    PROJECT_ID: ctx.project.id,
    ENVIRONMENT_NAME: ctx.environment.name,
    ENVIRONMENT_ID: ctx.environment.id,
    SERVICE_NAME: ctx.service.name,
    SERVICE_ID: ctx.service.id,
    DEPLOYMENT_ID: deploymentId,
  };
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries(shared)) {
    vars[`RAILWAY_${key}`] = value;
    vars[`WHARF_${key}`] = value;
  }
  vars.RAILWAY_ENVIRONMENT = ctx.environment.name;
  return { ...vars, ...RUNTIME_DEFAULTS };
}

/**
 * Where other services reach this one. On the docker runtime: its alias on the project
 * network (placement.ts), at the port its containers listen on, which is the instance's private
 * port there too. On the process runtime: the router's private listener for the service
 * (deploy/private-ports.ts) on 127.0.0.1.
 */
function privateAddress(options: ServerOptions, ctx: InstanceContext): Record<string, string> {
  const host = projectRuntime(ctx.project, options) === 'docker' ? privateDomain(ctx.service.name) : '127.0.0.1';
  return { PRIVATE_DOMAIN: host, ...(ctx.instance.privatePort ? { PRIVATE_URL: `http://${host}:${ctx.instance.privatePort}` } : {}) };
}

/**
 * Railway's RAILWAY_VOLUME_NAME / RAILWAY_VOLUME_MOUNT_PATH for the service's (first) volume:
 * in a container its mount path, on the process runtime the folder the process driver gives it.
 */
function volumeVariables(options: ServerOptions, ctx: InstanceContext): Record<string, string> {
  const first = ctx.instance.settings.volumes[0];
  if (!first) return {};
  const docker = projectRuntime(ctx.project, options) === 'docker';
  return { VOLUME_NAME: first.name, VOLUME_MOUNT_PATH: docker ? first.mountPath : volumeFolder(options.paths.home, volumeName(ctx.instance.id, first.name)) };
}

/**
 * Defaults Railway sets for every app, which the service's own variables override (they are
 * applied after these). Python buffers stdout in 8 KiB blocks when it is a pipe, so without
 * PYTHONUNBUFFERED a worker's prints would reach `wharf logs` late, or never if it is killed.
 */
const RUNTIME_DEFAULTS: Readonly<Record<string, string>> = { PYTHONUNBUFFERED: '1' };

/** What a replica's process inherits from the machine: enough to find node, npm and a home. */
export function baseEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const base: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR', 'NODE_EXTRA_CA_CERTS']) {
    const value = env[key];
    if (value !== undefined) base[key] = value;
  }
  return base;
}
