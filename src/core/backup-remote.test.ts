import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backupRemoteBody, bucketProblem, endpointProblem, maskKeyId, prefixProblem } from './backup-remote.js';

test('bucket names follow S3’s rules', () => {
  for (const ok of ['abc', 'wharf-backups', 'my.bucket.2026', 'a'.repeat(63)]) assert.equal(bucketProblem(ok), null, ok);
  const bad: Array<[string, RegExp]> = [
    ['ab', /3 to 63/],
    ['a'.repeat(64), /3 to 63/],
    ['Wharf', /lowercase/],
    ['under_score', /lowercase/],
    ['-dash', /starts and ends/],
    ['dash-', /starts and ends/],
    ['two..dots', /two dots/],
    ['dot.-dash', /dash next to a dot/],
    ['192.168.1.1', /IP address/],
  ];
  for (const [name, message] of bad) assert.match(bucketProblem(name) ?? 'accepted', message, name);
});

test('endpoints are http(s) servers without credentials, path or query', () => {
  for (const ok of ['https://s3.eu-west-1.amazonaws.com', 'http://127.0.0.1:9000', 'https://acc.r2.cloudflarestorage.com/']) assert.equal(endpointProblem(ok), null, ok);
  const bad: Array<[string, RegExp]> = [
    ['s3.amazonaws.com', /not a URL/],
    ['ftp://host', /http:\/\/ or https:\/\//],
    ['file:///etc/passwd', /http:\/\/ or https:\/\//],
    ['https://key:secret@host', /credentials/],
    ['https://host/?x=1', /query/],
    ['https://host/bucket', /--bucket/],
  ];
  for (const [value, message] of bad) assert.match(endpointProblem(value) ?? 'accepted', message, value);
});

test('prefixes are folder paths', () => {
  for (const ok of ['', 'wharf', 'wharf/backups', "a!b_c.d*e'(f)-g"]) assert.equal(prefixProblem(ok), null, ok);
  for (const bad of ['/abs', 'a/../b', './a', 'sp ace', 'ü', 'x'.repeat(513)]) assert.ok(prefixProblem(bad), bad);
});

test('the body: defaults, a trailing slash off the prefix, errors that never echo the secret', () => {
  const body = backupRemoteBody.parse({ endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', bucket: 'bkt', prefix: 'a/b/', accessKeyId: 'AKIA1234', secretAccessKey: 's3cr3t' });
  assert.deepEqual(body, { endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', bucket: 'bkt', prefix: 'a/b', pathStyle: true, accessKeyId: 'AKIA1234', secretAccessKey: 's3cr3t', skipCheck: false });
  const bad = backupRemoteBody.safeParse({ endpoint: 'http://h', region: 'r', bucket: 'bkt', accessKeyId: 'id', secretAccessKey: 'has space secret', extra: 1 });
  assert.ok(!bad.success);
  const text = JSON.stringify(bad.error.issues);
  assert.match(text, /no spaces/);
  assert.match(text, /extra/);
  assert.ok(!text.includes('has space secret'));
  assert.ok(!backupRemoteBody.safeParse({ endpoint: 'http://h', region: 'eu west', bucket: 'bkt', accessKeyId: 'id', secretAccessKey: 's' }).success, 'region');
  assert.ok(!backupRemoteBody.safeParse({ endpoint: 'http://h', region: 'r', bucket: 'bkt', accessKeyId: 'id', secretAccessKey: 's', database: 'Not A Name' }).success, 'database');
});

test('key ids are shown by their ends only', () => {
  assert.equal(maskKeyId('AKIAIOSFODNN7EXAMPLE'), 'AKIA…MPLE');
  assert.equal(maskKeyId('short'), '…');
});
