import type { RuntimeName } from '../../core/artifact.js';
import type { Project } from '../../core/model.js';
import type { ServerOptions } from '../options.js';
import type { Store } from '../store/store.js';

// Which runtime an instance runs on, until runtimeFor (src/server/runtimes/select.ts) is on this
// branch: the merge replaces these bodies with runtimeFor. They read the same two things: the
// project's `runtime` (project file `runtime = "docker"`), else the installation's
// (`options.runtime`, from WHARF_RUNTIME); the default is the process runtime.

export function projectRuntime(project: Project, options: ServerOptions): RuntimeName {
  const configured = (project as Project & { runtime?: RuntimeName | null }).runtime ?? (options as ServerOptions & { runtime?: RuntimeName }).runtime;
  return configured === 'docker' ? 'docker' : 'process';
}

export function instanceRuntime(ctx: { store: Store; options: ServerOptions }, instanceId: string): RuntimeName {
  return projectRuntime(ctx.store.projects.describeInstance(instanceId).project, ctx.options);
}
