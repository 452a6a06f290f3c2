import type { DrainRequest, DrainResult } from '../core/routes.js';
import type { TargetRegistry } from './targets.js';

// "The new target answers" is not a drain signal; in-flight work on the old one reaching
// zero is (docs/testing.md). Woken by every count that goes down, not by polling.

export function drain(registry: TargetRegistry, request: DrainRequest): Promise<DrainResult> {
  const ids = new Set(request.targets);
  const started = performance.now();
  const result = (remaining: number): DrainResult => ({
    drained: remaining === 0,
    remaining,
    waitedMs: Math.round(performance.now() - started),
  });

  const now = registry.remaining(ids);
  if (now === 0 || request.timeoutMs === 0) return Promise.resolve(result(now));

  return new Promise((resolve) => {
    const finish = () => {
      unwatch();
      clearTimeout(timer);
      resolve(result(registry.remaining(ids)));
    };
    const unwatch = registry.watch(() => {
      if (registry.remaining(ids) === 0) finish();
    });
    const timer = setTimeout(finish, request.timeoutMs);
  });
}
