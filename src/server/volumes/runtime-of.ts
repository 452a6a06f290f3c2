import type { RuntimeName } from '../../core/artifact.js';
import type { ServerOptions } from '../options.js';

// Which runtime an instance runs on, until runtimeFor (src/server/runtimes/select.ts) is here:
// the merge replaces the body with `runtimeFor(ctx, instanceId)`. Until then an installation
// option `runtime` (set by the composition root) decides; the default is the process runtime.

export function instanceRuntime(ctx: { options: ServerOptions }, _instanceId: string): RuntimeName {
  const configured = (ctx.options as ServerOptions & { runtime?: RuntimeName }).runtime;
  return configured === 'docker' ? 'docker' : 'process';
}
