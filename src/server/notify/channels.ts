import { WharfError } from '../../core/errors.js';
import type { ChannelConfig, SmtpConfig } from '../store/alerts.js';
import { DiscordNotifier, SlackNotifier } from './chat.js';
import { EmailNotifier } from './email.js';
import type { Notifier } from './types.js';
import { WebhookNotifier } from './webhook.js';

export interface ChannelTimeouts {
  httpMs?: number;
  smtpMs?: number;
}

export function notifierFor(channel: ChannelConfig, timeouts: ChannelTimeouts = {}): Notifier {
  switch (channel.type) {
    case 'webhook':
      return new WebhookNotifier(channel.url, channel.secret, timeouts.httpMs);
    case 'slack':
      return new SlackNotifier(channel.url, timeouts.httpMs);
    case 'discord':
      return new DiscordNotifier(channel.url, timeouts.httpMs);
    case 'email':
      return new EmailNotifier(channel.smtp, channel.from, channel.to, timeouts.smtpMs);
  }
}

/**
 * A URL as it may be shown: no credentials, no query, and long path segments (Slack's and
 * Discord's webhook tokens, API keys in paths) cut to their first characters.
 */
export function redactUrl(raw: string, keepSegments = Infinity): string {
  const url = new URL(raw);
  const segments = url.pathname.split('/').filter(Boolean);
  const shown = segments.slice(0, keepSegments).map((s) => (s.length >= 16 ? `${s.slice(0, 4)}…` : s));
  const more = segments.length > shown.length ? '/…' : '';
  return `${url.protocol}//${url.host}${shown.length ? `/${shown.join('/')}` : ''}${more}${url.search ? '?…' : ''}`;
}

/** What the API and CLI show of a channel: where it goes, never a secret. */
export function channelSummary(channel: ChannelConfig): string {
  switch (channel.type) {
    case 'webhook':
      return `webhook ${redactUrl(channel.url)} (signed)`;
    case 'slack':
      return `slack ${redactUrl(channel.url, 1)}`;
    case 'discord':
      return `discord ${redactUrl(channel.url, 2)}`;
    case 'email':
      return `email ${channel.to.join(', ')} via ${channel.smtp.host}:${channel.smtp.port}`;
  }
}

/** A webhook URL users may give: http(s) only. */
export function checkWebhookUrl(raw: string, what: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WharfError('BAD_REQUEST', `${what} '${raw}' is not a URL`, { hint: 'Give a full URL, e.g. https://example.com/hooks/wharf.' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WharfError('BAD_REQUEST', `${what} must be an http:// or https:// URL, not ${url.protocol}`);
  }
  return url.toString();
}

/**
 * `smtp://user:password@host:587` (STARTTLS when offered) or `smtps://user:password@host:465`
 * (TLS from the start); user and password are URL-decoded. Default ports 587 and 465.
 */
export function parseSmtpUrl(raw: string): SmtpConfig {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WharfError('BAD_REQUEST', `the SMTP server '${raw.replace(/\/\/[^@/]*@/, '//…@')}' is not a URL`, { hint: 'Write it as smtp://user:password@host:587 or smtps://user:password@host:465.' });
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new WharfError('BAD_REQUEST', `the SMTP server URL must start with smtp:// or smtps://, not ${url.protocol}`);
  }
  if (!url.hostname) throw new WharfError('BAD_REQUEST', 'the SMTP server URL has no host');
  const secure = url.protocol === 'smtps:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}
