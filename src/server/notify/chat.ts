import { fields, SEVERITY_COLOR, SEVERITY_EMOJI, title } from './format.js';
import { postJson, WEBHOOK_TIMEOUT_MS } from './http-post.js';
import type { DeliveryResult, Notification, Notifier } from './types.js';

// Slack- and Discord-compatible incoming webhooks (also what Mattermost, Rocket.Chat and
// Google-Chat-style bridges accept in the same shapes).

export function slackPayload(n: Notification): { text: string; blocks: unknown[] } {
  const text = `${SEVERITY_EMOJI[n.severity]} ${title(n)}: ${n.message}`;
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title(n).slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: `${SEVERITY_EMOJI[n.severity]} ${n.message}`.slice(0, 3000) } },
      { type: 'section', fields: fields(n).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}` })).slice(0, 10) },
    ],
  };
}

export function discordPayload(n: Notification): { content: string; embeds: unknown[] } {
  return {
    content: `${title(n)}: ${n.message}`.slice(0, 2000),
    embeds: [
      {
        title: title(n).slice(0, 256),
        description: n.message.slice(0, 4096),
        color: SEVERITY_COLOR[n.severity],
        fields: fields(n).map(([name, value]) => ({ name, value: value.slice(0, 1024), inline: true })).slice(0, 25),
        timestamp: n.at,
        footer: { text: `Wharf notification ${n.id}` },
      },
    ],
  };
}

export class SlackNotifier implements Notifier {
  constructor(private readonly url: string, private readonly timeoutMs = WEBHOOK_TIMEOUT_MS) {}

  send(n: Notification): Promise<DeliveryResult> {
    return postJson(this.url, JSON.stringify(slackPayload(n)), {}, this.timeoutMs);
  }
}

export class DiscordNotifier implements Notifier {
  constructor(private readonly url: string, private readonly timeoutMs = WEBHOOK_TIMEOUT_MS) {}

  send(n: Notification): Promise<DeliveryResult> {
    return postJson(this.url, JSON.stringify(discordPayload(n)), {}, this.timeoutMs);
  }
}
