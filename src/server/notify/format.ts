import type { Notification } from './types.js';

// Human renderings of a notification, shared by the chat and email channels.

export function title(n: Notification): string {
  const where = [n.project?.name, n.service?.name, n.environment?.name].filter(Boolean).join(' / ');
  return `[Wharf] ${n.kind}${where ? ` - ${where}` : ''}`;
}

/** Label/value pairs worth showing next to the message. */
export function fields(n: Notification): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (n.project) out.push(['Project', n.project.name]);
  if (n.environment) out.push(['Environment', n.environment.name]);
  if (n.service) out.push(['Service', n.service.name]);
  if (n.deployment) out.push(['Deployment', `#${n.deployment.number}`]);
  out.push(['Severity', n.severity]);
  out.push(['At', n.at]);
  return out;
}

export function plainText(n: Notification): string {
  return [title(n), '', n.message, '', ...fields(n).map(([k, v]) => `${k}: ${v}`), '', `Notification ${n.id}`].join('\n');
}

export const SEVERITY_EMOJI: Record<Notification['severity'], string> = { info: ':information_source:', warning: ':warning:', error: ':rotating_light:' };
/** Discord embed colours (decimal RGB). */
export const SEVERITY_COLOR: Record<Notification['severity'], number> = { info: 0x3b82f6, warning: 0xf59e0b, error: 0xef4444 };
