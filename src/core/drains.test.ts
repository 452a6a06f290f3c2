import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDrainTarget, parseHeaderFlag, redactDrainUrl } from './drains.js';
import { WharfError } from './errors.js';

test('drain URLs that are accepted, and what they become (table)', () => {
  const cases: Array<[Parameters<typeof parseDrainTarget>[0], Partial<ReturnType<typeof parseDrainTarget>>]> = [
    [{ url: 'https://http-intake.logs.datadoghq.com/api/v2/logs', headers: { 'DD-API-KEY': 'k' } }, { transport: 'http', host: 'http-intake.logs.datadoghq.com', port: 443, headers: { 'DD-API-KEY': 'k' } }],
    [{ url: 'http://127.0.0.1:8080/ingest' }, { transport: 'http', host: '127.0.0.1', port: 8080 }],
    [{ url: 'https://user:pass@logs.example.com/drain' }, { transport: 'http', port: 443 }],
    [{ url: 'syslog+tls://logs.papertrailapp.com:12345' }, { transport: 'syslog+tls', host: 'logs.papertrailapp.com', port: 12345, facility: 'user', token: null }],
    [{ url: 'syslog+tcp://10.0.0.5', token: 'abc', facility: 'local0' }, { transport: 'syslog+tcp', port: 514, token: 'abc', facility: 'local0' }],
    [{ url: 'syslog+udp://[::1]:5514' }, { transport: 'syslog+udp', host: '::1', port: 5514 }],
    [{ url: 'syslog+tls://logs.example.com' }, { port: 6514 }],
  ];
  for (const [input, expected] of cases) {
    const target = parseDrainTarget(input);
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(target[key as keyof typeof target], value, `${input.url} ${key}`);
  }
});

test('drain URLs and options that are refused say why (table)', () => {
  const cases: Array<[Parameters<typeof parseDrainTarget>[0], RegExp]> = [
    [{ url: 'not a url' }, /is not a URL/],
    [{ url: 'ftp://example.com/x' }, /must start with https:\/\/, http:\/\/, syslog\+tls/],
    [{ url: 'syslog://example.com:514' }, /must start with/],
    [{ url: 'https://example.com:0/x' }, /port 0, outside 1-65535/],
    [{ url: 'https://exa mple.com/' }, /not a URL|no valid host/],
    [{ url: 'https://example.com/x#frag' }, /#fragment/],
    [{ url: 'syslog+tcp://user:secret@example.com:514' }, /has a user or password/],
    [{ url: 'syslog+tcp://example.com:514/path' }, /has a path or query/],
    [{ url: 'syslog+tcp://example.com:514', headers: { A: 'b' } }, /headers are for HTTP drains/],
    [{ url: 'https://example.com/', token: 't' }, /--token is for syslog drains/],
    [{ url: 'https://example.com/', headers: { 'Bad Name': 'x' } }, /header name 'Bad Name' is not valid/],
    [{ url: 'https://example.com/', headers: { 'Content-Type': 'x' } }, /set by Wharf/],
    [{ url: 'https://example.com/', headers: { A: 'x', a: 'y' } }, /given twice/],
    [{ url: 'https://example.com/', headers: { A: 'x\r\nInjected: 1' } }, /line break/],
    [{ url: 'syslog+udp://example.com:514', facility: 'local9' }, /unknown syslog facility 'local9'/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseDrainTarget(input), (error: unknown) => {
      assert.ok(error instanceof WharfError, String(error));
      assert.equal(error.code, 'BAD_REQUEST');
      assert.match(error.message, message, input.url);
      return true;
    });
  }
});

test('errors and shown URLs never hold the secrets', () => {
  assert.equal(redactDrainUrl('https://user:s3cret@logs.example.com/drain?api_key=s3cret&x=1'), 'https://***@logs.example.com/drain?api_key=***&x=***');
  assert.equal(redactDrainUrl('syslog+tls://logs.papertrailapp.com:12345'), 'syslog+tls://logs.papertrailapp.com:12345');
  assert.equal(redactDrainUrl('https://example.com/'), 'https://example.com/');
  try {
    parseDrainTarget({ url: 'syslog+tcp://user:s3cret@example.com:514' });
    assert.fail('accepted');
  } catch (error) {
    assert.doesNotMatch((error as Error).message, /s3cret/);
  }
  try {
    parseDrainTarget({ url: 'https://example.com/', headers: { A: 's3cret\n' } });
    assert.fail('accepted');
  } catch (error) {
    assert.doesNotMatch((error as Error).message, /s3cret/);
  }
});

test("--header 'Name: value'", () => {
  assert.deepEqual(parseHeaderFlag('DD-API-KEY: abc:def'), ['DD-API-KEY', 'abc:def']);
  assert.deepEqual(parseHeaderFlag('Authorization:Bearer x'), ['Authorization', 'Bearer x']);
  assert.throws(() => parseHeaderFlag('no colon'), /is not 'Name: value'/);
});
