import { RUNTIME_NAMES, type RuntimeName } from '../../../core/artifact.js';
import { WharfError } from '../../../core/errors.js';

/**
 * The runtime a new database server runs on: the installation's WHARF_RUNTIME (default process).
 * A stand-in for `runtimeFor(ctx, instanceId)` (src/server/runtimes/select.ts), which also honours
 * the project's own `runtime`; the manager calls this one place, so the merge swaps one call.
 */
export function databaseRuntime(env: NodeJS.ProcessEnv = process.env): RuntimeName {
  const value = (env.WHARF_RUNTIME ?? '').trim() || 'process';
  if (!(RUNTIME_NAMES as readonly string[]).includes(value)) {
    throw new WharfError('BAD_REQUEST', `WHARF_RUNTIME=${value} is not a runtime`, { hint: `Use one of ${RUNTIME_NAMES.join(', ')}.` });
  }
  return value as RuntimeName;
}
