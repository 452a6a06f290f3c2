import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AhoCorasick } from './aho-corasick.js';
import { MIN_REDACTED_LENGTH, Redactor } from './redact.js';

const cases: Array<[string, Array<[string, string]>, string, string]> = [
  ['no secrets', [], 'anything at all', 'anything at all'],
  ['one value, twice', [['TOKEN', 'tok-123456']], 'a tok-123456 b tok-123456', 'a [secret:TOKEN] b [secret:TOKEN]'],
  ['at the edges', [['TOKEN', 'tok-123456']], 'tok-123456', '[secret:TOKEN]'],
  ['no match leaves the line alone', [['TOKEN', 'tok-123456']], 'tok-12345 ok-123456', 'tok-12345 ok-123456'],
  ['a short value is not redacted', [['PIN', '12345'], ['FLAG', 'true']], 'pin 12345 flag true', 'pin 12345 flag true'],
  ['exactly the minimum length is', [['PIN', '123456']], 'pin 123456', 'pin [secret:PIN]'],
  [
    'a value inside a longer one: the longer wins',
    [['PGPASSWORD', 'hunter2hunter2'], ['DATABASE_URL', 'postgres://app:hunter2hunter2@db:5432/app']],
    'connecting to postgres://app:hunter2hunter2@db:5432/app (password hunter2hunter2)',
    'connecting to [secret:DATABASE_URL] (password [secret:PGPASSWORD])',
  ],
  [
    'overlapping values: nothing of either survives',
    [['A', 'abcdef123'], ['B', 'def123xyz']],
    '<abcdef123xyz>',
    '<[secret:A][secret:B]>',
  ],
  ['adjacent values', [['A', 'aaaaaa1'], ['B', 'bbbbbb2']], 'aaaaaa1bbbbbb2', '[secret:A][secret:B]'],
  ['the same value under two keys names the first', [['A', 'shared-value'], ['B', 'shared-value']], 'x shared-value', 'x [secret:A]'],
  ['URL-encoded', [['PASSWORD', 'p@ss w/rd!']], 'postgres://u:p%40ss%20w%2Frd!@host/db', 'postgres://u:[secret:PASSWORD]@host/db'],
  ['JSON-escaped', [['KEY', 'line1\nline2"q"']], '{"m":"key=line1\\nline2\\"q\\""}', '{"m":"key=[secret:KEY]"}'],
  ['base64 (Basic auth of the value)', [['TOKEN', 'abcdefghi']], `Authorization: Basic ${Buffer.from('abcdefghi').toString('base64')}`, 'Authorization: Basic [secret:TOKEN]'],
  ['base64 of the value followed by more', [['TOKEN', 'abcdefghi']], Buffer.from('abcdefghi:rest').toString('base64').slice(0, 12), '[secret:TOKEN]'],
  ['non-ASCII values', [['KEY', 'pässwörd✓']], 'got pässwörd✓!', 'got [secret:KEY]!'],
  ['regex characters are literal', [['KEY', '.*+?^${}()|[]\\']], 'a.*+?^${}()|[]\\b', 'a[secret:KEY]b'],
];

for (const [what, secrets, line, expected] of cases) {
  test(`redact: ${what}`, () => {
    const redactor = new Redactor(secrets.map(([key, value]) => ({ key, value })));
    assert.equal(redactor.redact(line), expected);
  });
}

test('redact: base64 of a text that holds the value anywhere (Basic auth of user:password)', () => {
  const secret = 'hunter2-hunter2';
  const redactor = new Redactor([{ key: 'PASSWORD', value: secret }]);
  for (const prefix of ['', 'a', 'ab', 'user:', 'admin:']) {
    for (const suffix of ['', 'x', ':more text']) {
      for (const encoding of ['base64', 'base64url'] as const) {
        const encoded = Buffer.from(`${prefix}${secret}${suffix}`).toString(encoding);
        const out = redactor.redact(`Authorization: Basic ${encoded}`);
        assert.match(out, /\[secret:PASSWORD\]/, `${encoding} of '${prefix}…${suffix}': ${out}`);
        // What is left decodes to at most the bytes next to the value, never 3 of its own in a row.
        const left = out.replace('Authorization: Basic ', '').split('[secret:PASSWORD]');
        for (const piece of left) assert.ok(!Buffer.from(piece, encoding).toString('latin1').includes(secret.slice(0, 3)) || prefix.includes(secret.slice(0, 3)), out);
      }
    }
  }
});

test('the short-value rule is 6 characters', () => {
  assert.equal(MIN_REDACTED_LENGTH, 6);
  assert.equal(new Redactor([{ key: 'K', value: 'abcde' }]).size, 0);
});

test('Aho-Corasick finds overlapping and nested occurrences', () => {
  const ac = new AhoCorasick(['he', 'she', 'his', 'hers']);
  const found = ac.findAll('ushers').map((m) => [m.start, m.end, m.pattern]);
  assert.deepEqual(found, [
    [1, 4, 1],
    [2, 4, 0],
    [2, 6, 3],
  ]);
  assert.deepEqual(new AhoCorasick(['aa']).findAll('aaaa').map((m) => m.start), [0, 1, 2]);
  assert.deepEqual(new AhoCorasick(['ab', 'b']).findAll('xab').map((m) => m.pattern), [0, 1]);
  assert.deepEqual(new AhoCorasick(['é✓', '✓x']).findAll('aé✓x').map((m) => [m.start, m.end]), [[1, 3], [2, 4]]);
});

test('agrees with a naive search on random text', () => {
  const alphabet = 'abc';
  const random = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * 3)]).join('');
  for (let round = 0; round < 200; round++) {
    const patterns = [...new Set(Array.from({ length: 5 }, () => random(1 + Math.floor(Math.random() * 4))))];
    const text = random(40);
    const naive: string[] = [];
    for (let end = 1; end <= text.length; end++) {
      for (let p = 0; p < patterns.length; p++) {
        const pat = patterns[p]!;
        if (end >= pat.length && text.slice(end - pat.length, end) === pat) naive.push(`${end - pat.length}:${p}`);
      }
    }
    const found = new AhoCorasick(patterns).findAll(text).map((m) => `${m.start}:${m.pattern}`);
    assert.deepEqual(found.sort(), naive.sort(), `${patterns.join(',')} in ${text}`);
  }
});

test('speed: 200 secrets on 200-character lines (figure printed, not asserted)', (t) => {
  const secrets = Array.from({ length: 200 }, (_, i) => ({ key: `SECRET_${i}`, value: randomBytes(12 + (i % 20)).toString('base64url') }));
  const redactor = new Redactor(secrets);
  const words = 'GET /api/v1/items?page=2 200 12ms user=42 region=eu-west-1 cache=miss request_id=';
  const lines = Array.from({ length: 1000 }, (_, i) => `${words}${randomBytes(30).toString('hex')} ${i}`.padEnd(200, ' x').slice(0, 200));
  const withSecret = lines.map((l, i) => (i % 50 === 0 ? `${l.slice(0, 100)}${secrets[i % 200]!.value}${l.slice(100)}`.slice(0, 200) : l));
  let sink = 0;
  for (let i = 0; i < 2000; i++) sink += redactor.redact(withSecret[i % 1000]!).length; // warm up
  const rounds = 50_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) sink += redactor.redact(withSecret[i % 1000]!).length;
  const perLineUs = Number(process.hrtime.bigint() - start) / rounds / 1000;
  t.diagnostic(`redact: ${perLineUs.toFixed(2)} µs per 200-char line, ${secrets.length} secrets (${redactor.size} patterns), 2% of lines hold a secret`);
  assert.ok(sink > 0);
  assert.equal(redactor.redact(`x ${secrets[7]!.value} y`), 'x [secret:SECRET_7] y');
});
