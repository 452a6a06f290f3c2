import type { RuntimeName } from '../../core/artifact.js';
import type { ServerOptions } from '../options.js';
import { runtimeFor } from '../runtimes/select.js';
import type { Store } from '../store/store.js';

/** The runtime an instance's volumes live on: the one its service is deployed to. */
export function instanceRuntime(ctx: { store: Store; options: ServerOptions }, instanceId: string): RuntimeName {
  return runtimeFor(ctx, instanceId);
}
