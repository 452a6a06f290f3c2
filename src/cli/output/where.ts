import type { ServiceStatusView } from '../../core/api.js';

// Where a live service can be reached, for "Deployment #N is live…": a web service's URL; a
// worker or cron service has no route, so a URL for it would answer 404.

/** ": http://…" for a routed service, " (worker: no route)" or " (cron: …)" otherwise. */
export function whereLive(status: Pick<ServiceStatusView, 'kind' | 'url'> | undefined, url = status?.url ?? null): string {
  if (status?.kind === 'worker') return ' (worker: no route)';
  if (status?.kind === 'cron') return ' (cron: runs on schedule, see `wharf cron list`)';
  return url ? `: ${url}` : '';
}

/** The URL a user can open, or null for a service without a route. */
export function routedUrl(status: Pick<ServiceStatusView, 'kind' | 'url'>): string | null {
  return status.kind === 'worker' || status.kind === 'cron' ? null : status.url;
}
