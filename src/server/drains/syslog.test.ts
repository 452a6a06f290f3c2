import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DrainRecord } from './record.js';
import { toNdjson } from './record.js';
import { formatSyslog, headerField, octetCountingFrame, parseOctetCounting, recordToSyslog, syslogSeverity, truncateUtf8 } from './syslog.js';

const T = Date.parse('2026-11-23T09:30:01.250Z');

const record = (over: Partial<DrainRecord> = {}): DrainRecord => ({
  id: 42,
  timestamp: new Date(T).toISOString(),
  t: T,
  project: 'shop',
  environment: 'production',
  service: 'web',
  deployment: 'dep_0123456789abcdef',
  replica: 'rep_aaaaaaaaaaaaaaaa',
  source: 'runtime',
  stream: 'out',
  level: 'info',
  message: 'listening on 3000',
  fields: null,
  ...over,
});

test('severity from level and stream (table)', () => {
  const cases: Array<[string | null, string, number]> = [
    ['fatal', 'out', 2],
    ['error', 'out', 3],
    ['warn', 'err', 4],
    ['info', 'err', 6],
    ['debug', 'out', 7],
    ['trace', 'out', 7],
    [null, 'out', 6],
    [null, 'err', 3],
    [null, 'sys', 5],
  ];
  for (const [level, stream, severity] of cases) assert.equal(syslogSeverity(level, stream), severity, `${level}/${stream}`);
});

test('an RFC 5424 message: PRI, version, timestamp, header fields, SD, MSG', () => {
  const text = formatSyslog({
    facility: 1,
    severity: 3,
    t: T,
    hostname: 'shop.production',
    appName: 'web',
    procId: 'rep_1',
    msgId: 'runtime',
    structuredData: [{ id: 'wharf@32473', params: [['project', 'shop'], ['note', 'a "quoted] \\ value']] }],
    message: 'payment declined',
  });
  // PRI = facility 1 (user) × 8 + severity 3 (error) = 11.
  assert.equal(text, '<11>1 2026-11-23T09:30:01.250Z shop.production web rep_1 runtime [wharf@32473 project="shop" note="a \\"quoted\\] \\\\ value"] payment declined');
});

test('empty and unprintable header fields become - and _; long ones are cut', () => {
  assert.equal(headerField('', 48), '-');
  assert.equal(headerField(null, 48), '-');
  assert.equal(headerField('my app\té', 48), 'my_app__');
  assert.equal(headerField('x'.repeat(60), 48), 'x'.repeat(48));
  const text = formatSyslog({ facility: 16, severity: 6, t: T, hostname: '', appName: '', procId: '', msgId: '', structuredData: [], message: '' });
  assert.equal(text, '<134>1 2026-11-23T09:30:01.250Z - - - - -');
});

test('a log line as syslog: APP-NAME is the service, PROCID the replica, MSGID the source, SD names the rest', () => {
  const text = recordToSyslog(record({ level: 'error', message: 'payment declined', fields: { order: 1, user: { id: 'u-7' }, note: 'two words' } }), { facility: 16, token: null, maxBytes: 65536 });
  assert.equal(
    text,
    '<131>1 2026-11-23T09:30:01.250Z shop.production web rep_aaaaaaaaaaaaaaaa runtime ' +
      '[wharf@32473 project="shop" environment="production" service="web" deployment="dep_0123456789abcdef" replica="rep_aaaaaaaaaaaaaaaa" source="runtime" stream="out" level="error" id="42"] ' +
      'payment declined order=1 user={"id":"u-7"} note="two words"',
  );
  // A build line has no replica: PROCID is the deployment; a token goes first in the SD.
  const build = recordToSyslog(record({ replica: null, source: 'build', level: null, message: 'npm ci' }), { facility: 1, token: 'tok-123', maxBytes: 65536 });
  assert.match(build, /^<14>1 \S+ shop\.production web dep_0123456789abcdef build \[auth@32473 token="tok-123"\]\[wharf@32473 [^\]]*source="build"[^\]]*\] npm ci$/);
});

test('messages are cut to the byte limit without splitting a character', () => {
  assert.equal(truncateUtf8('héllo', 2), 'h');
  assert.equal(truncateUtf8('héllo', 3), 'hé');
  const text = recordToSyslog(record({ message: 'é'.repeat(5000) }), { facility: 1, token: null, maxBytes: 2048 });
  assert.ok(Buffer.byteLength(text) <= 2048, String(Buffer.byteLength(text)));
  assert.ok(!text.includes('\uFFFD'));
});

test('octet counting (RFC 6587): LEN SP MSG with LEN in bytes, and back, across chunk boundaries', () => {
  const messages = ['<14>1 - - - - - - hello', '<11>1 - - - - - - héllo wörld', '<14>1 - - - - - - x'];
  const stream = Buffer.concat(messages.map(octetCountingFrame));
  assert.equal(octetCountingFrame(messages[1]!).toString('utf8'), `${Buffer.byteLength(messages[1]!)} ${messages[1]}`);
  const got: string[] = [];
  let rest: Buffer = Buffer.alloc(0);
  for (let i = 0; i < stream.length; i += 7) {
    const parsed = parseOctetCounting(Buffer.concat([rest, stream.subarray(i, i + 7)]));
    got.push(...parsed.messages);
    rest = parsed.rest;
  }
  assert.deepEqual(got, messages);
  assert.equal(rest.length, 0);
});

test('the HTTP body is one JSON object a line, with names, ids and parsed fields', () => {
  const body = toNdjson([record({ fields: { order: 1 } }), record({ id: 43, stream: 'err', level: null, message: 'oops' })]);
  assert.ok(body.endsWith('\n'));
  const lines = body.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines[0], {
    id: 42, timestamp: '2026-11-23T09:30:01.250Z', project: 'shop', environment: 'production', service: 'web', deployment: 'dep_0123456789abcdef',
    replica: 'rep_aaaaaaaaaaaaaaaa', source: 'runtime', stream: 'out', level: 'info', message: 'listening on 3000', fields: { order: 1 },
  });
  assert.equal(lines[1]!.stream, 'err');
  assert.equal(lines[1]!.level, null);
});
