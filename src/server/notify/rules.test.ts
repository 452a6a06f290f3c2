import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelSummary, parseSmtpUrl, redactUrl } from './channels.js';
import { backoffMs, DEFAULT_RETRY } from './delivery.js';
import { stepMetricState } from './engine.js';
import { retryableStatus } from './http-post.js';
import { checkEventPattern, eventMatches, metricName, parseDuration } from './rules.js';

test('event patterns: exact kinds, prefixes with a dot or .*, and *', () => {
  assert.ok(eventMatches('deployment.failed', 'deployment.failed'));
  assert.ok(!eventMatches('deployment.failed', 'deployment.failed_twice'));
  assert.ok(eventMatches('cron.', 'cron.missed'));
  assert.ok(eventMatches('cron.*', 'cron.timed_out'));
  assert.ok(!eventMatches('cron.', 'backup.failed'));
  assert.ok(eventMatches('*', 'alert.fired'));
  assert.throws(() => checkEventPattern('cron'.concat(' x')), /not an event pattern/);
  assert.equal(checkEventPattern(' service.crashed '), 'service.crashed');
});

test('durations and metric names as users type them', () => {
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('90'), 90_000);
  assert.equal(parseDuration(2.5), 2_500);
  assert.throws(() => parseDuration('5 minutes'), /not a duration/);
  assert.equal(metricName('cpu'), 'cpu_percent');
  assert.equal(metricName('latency_p95'), 'latency_p95_ms');
  assert.equal(metricName('error-rate'), 'error_rate');
  assert.equal(metricName('status_5xx'), 'status_5xx');
  assert.throws(() => metricName('disk'), /unknown metric/);
});

test('retries: 5xx, 408, 429 and 3xx retry; other 4xx do not; waits double up to the cap', () => {
  assert.deepEqual([500, 502, 408, 429, 301, 400, 401, 404, 410].map(retryableStatus), [true, true, true, true, true, false, false, false, false]);
  assert.deepEqual([1, 2, 3, 4].map((a) => backoffMs(DEFAULT_RETRY, a)), [1_000, 2_000, 4_000, 8_000]);
  assert.equal(backoffMs({ attempts: 9, baseMs: 1_000, maxMs: 5_000 }, 8), 5_000);
  assert.equal(backoffMs(DEFAULT_RETRY, 1, 30_000), 30_000, "a receiver's Retry-After is honoured");
  assert.equal(backoffMs(DEFAULT_RETRY, 1, 600_000), 60_000, 'but capped');
});

test('what is shown of a channel has no secrets', () => {
  assert.equal(redactUrl('https://user:pw@hooks.example.com/a/b?token=xyz'), 'https://hooks.example.com/a/b?…');
  assert.equal(channelSummary({ type: 'slack', url: 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX' }), 'slack https://hooks.slack.com/services/…');
  assert.equal(channelSummary({ type: 'discord', url: 'https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz' }), 'discord https://discord.com/api/webhooks/…');
  assert.equal(channelSummary({ type: 'webhook', url: 'https://example.com/hooks/wharf', secret: 'shh-very-secret' }), 'webhook https://example.com/hooks/wharf (signed)');
  const smtp = parseSmtpUrl('smtps://me%40x.io:top%2Fsecret@mail.x.io');
  assert.deepEqual(smtp, { host: 'mail.x.io', port: 465, secure: true, user: 'me@x.io', password: 'top/secret' });
  assert.doesNotMatch(channelSummary({ type: 'email', to: ['a@x.io'], from: 'w@x.io', smtp }), /secret/);
  assert.throws(() => parseSmtpUrl('http://mail.x.io'), /smtp:\/\/ or smtps:\/\//);
});

test('metric state: over the threshold for the duration fires once; dropping back resolves', () => {
  const cond = { threshold: 80, forMs: 60_000 };
  let s = { state: 'ok' as const, breachSince: null, firingSince: null } as Parameters<typeof stepMetricState>[0];
  const step = (value: number | null, t: number) => {
    const next = stepMetricState(s, value, t, cond);
    s = next;
    return next.transition;
  };
  assert.equal(step(90, 0), null);
  assert.equal(s.state, 'pending');
  assert.equal(step(90, 59_999), null);
  assert.equal(step(90, 60_000), 'fired');
  assert.equal(step(95, 75_000), null);
  assert.equal(step(null, 90_000), null);
  assert.equal(s.state, 'firing');
  assert.equal(step(80, 105_000), 'resolved', 'equal to the threshold is not over it');
  assert.equal(s.state, 'ok');
  assert.equal(stepMetricState({ state: 'ok', breachSince: null, firingSince: null }, 81, 0, { threshold: 80, forMs: 0 }).transition, 'fired', 'for 0 fires at once');
});
