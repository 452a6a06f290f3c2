import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWharfError, type ErrorCode } from '../../core/errors.js';
import { Keyring, isEncrypted, keyIdOf, keyringOptionsFromEnv } from './keyring.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-keyring-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function wharfError(code: ErrorCode, message: RegExp, hint?: RegExp) {
  return (err: unknown) => isWharfError(err) && err.code === code && message.test(err.message) && !!err.hint && (!hint || hint.test(err.hint));
}

const key = () => randomBytes(32).toString('base64');

test('encrypt/decrypt round trip for a table of values', (t) => {
  const ring = Keyring.load({ keyFile: join(tempDir(t), 'keys.json') });
  for (const value of ['', 'x', 'hunter2', 'postgres://u:p@db:5432/app?ssl=true', 'ünïcødé ✓ 🚢', 'a:b:c', 'line1\nline2', 'z'.repeat(100_000)]) {
    const token = ring.encrypt(value);
    assert.match(token, /^wharf:v1:[0-9a-f]{16}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]*$/);
    assert.ok(ring.isEncrypted(token) && isEncrypted(token));
    assert.equal(keyIdOf(token), ring.currentKeyId);
    assert.equal(ring.decrypt(token), value);
  }
  assert.notEqual(ring.encrypt('same'), ring.encrypt('same'), 'a fresh IV per value');
  assert.equal(isEncrypted('plain value'), false);
  assert.equal(keyIdOf('plain value'), null);
});

test('creates the key file with mode 0600 in a 0700 folder, and loads it again', (t) => {
  const dir = join(tempDir(t), 'nested', 'secrets');
  const file = join(dir, 'keys.json');
  const ring = Keyring.load({ keyFile: file });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const content = JSON.parse(readFileSync(file, 'utf8')) as { current: string; keys: Record<string, string> };
  assert.equal(content.current, ring.currentKeyId);
  assert.equal(Buffer.from(content.keys[content.current]!, 'base64').length, 32);
  const token = ring.encrypt('kept');
  assert.equal(Keyring.load({ keyFile: file }).decrypt(token), 'kept');
});

test('tampering is detected', (t) => {
  const ring = Keyring.load({ keyFile: join(tempDir(t), 'keys.json') });
  const token = ring.encrypt('attack at dawn');
  const parts = token.split(':');
  const flip = (index: number, byte = 0) => {
    const bytes = Buffer.from(parts[index]!, 'base64url');
    bytes[byte] = bytes[byte]! ^ 0x01;
    return parts.map((p, i) => (i === index ? bytes.toString('base64url') : p)).join(':');
  };
  const cases: Array<[string, string, RegExp]> = [
    ['a ciphertext byte', flip(5), /integrity check/],
    ['the last ciphertext byte', flip(5, 13), /integrity check/],
    ['an IV byte', flip(3), /integrity check/],
    ['a tag byte', flip(4), /integrity check/],
    ['a non-canonical base64 tag', parts.map((p, i) => (i === 4 ? p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) ^ 1) : p)).join(':'), /integrity check|not a valid/],
    ['a truncated token', parts.slice(0, 5).join(':'), /not a valid encrypted value/],
    ['an extra part', `${token}:x`, /not a valid encrypted value/],
    ['a short IV', parts.map((p, i) => (i === 3 ? p.slice(4) : p)).join(':'), /not a valid encrypted value/],
  ];
  for (const [what, bad, message] of cases) {
    assert.throws(() => ring.decrypt(bad), wharfError('RUNTIME_ERROR', message), what);
  }
});

test('a token moved to another key id does not decrypt', (t) => {
  const file = join(tempDir(t), 'keys.json');
  const ring = Keyring.load({ keyFile: file });
  const token = ring.encrypt('secret');
  const oldId = ring.currentKeyId;
  const newId = ring.rotate();
  assert.throws(() => ring.decrypt(token.replace(oldId, newId)), wharfError('RUNTIME_ERROR', /integrity check/));
});

test('rotation keeps old values readable; reencrypt moves them to the new key; retire removes the old key', (t) => {
  const file = join(tempDir(t), 'keys.json');
  const ring = Keyring.load({ keyFile: file });
  const oldId = ring.currentKeyId;
  const tokens = ['one', 'two', 'three'].map((v) => ring.encrypt(v));

  const newId = ring.rotate();
  assert.notEqual(newId, oldId);
  assert.equal(ring.currentKeyId, newId);
  assert.deepEqual(ring.keyIds, [newId, oldId]);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(tokens.map((tok) => ring.decrypt(tok)), ['one', 'two', 'three']);
  assert.equal(keyIdOf(ring.encrypt('new')), newId);

  // Another process loading the file sees both keys.
  const other = Keyring.load({ keyFile: file });
  assert.equal(other.currentKeyId, newId);
  assert.equal(other.decrypt(tokens[0]!), 'one');

  assert.throws(() => ring.retire(oldId, tokens), wharfError('CONFLICT', /still encrypts 3 stored values/));
  const moved = tokens.map((tok) => ring.reencrypt(tok));
  assert.ok(moved.every((tok) => keyIdOf(tok) === newId));
  assert.equal(ring.reencrypt(moved[0]!), moved[0], 'a value already on the current key is left as it is');
  ring.retire(oldId, moved);
  assert.deepEqual(ring.keyIds, [newId]);
  assert.deepEqual(moved.map((tok) => ring.decrypt(tok)), ['one', 'two', 'three']);
  assert.throws(() => ring.decrypt(tokens[0]!), wharfError('RUNTIME_ERROR', new RegExp(`key '${oldId}'`), /Restore key .* into/));
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, 'utf8')).keys), [newId]);

  assert.throws(() => ring.retire(newId), wharfError('BAD_REQUEST', /current key/));
  assert.throws(() => ring.retire('nope'), wharfError('NOT_FOUND', /no key 'nope'/));
});

test('refuses a key file readable by group or other', (t) => {
  const file = join(tempDir(t), 'keys.json');
  Keyring.load({ keyFile: file });
  for (const mode of [0o644, 0o640, 0o604]) {
    chmodSync(file, mode);
    assert.throws(() => Keyring.load({ keyFile: file }), wharfError('RUNTIME_ERROR', /readable by other users/, /chmod 600/), mode.toString(8));
  }
  chmodSync(file, 0o600);
  assert.ok(Keyring.load({ keyFile: file }));
});

test('refuses a malformed key file', (t) => {
  const dir = tempDir(t);
  const good = key();
  const cases: Array<[string, string, RegExp]> = [
    ['not json', '{', /not JSON/],
    ['an array', '[]', /"keys" is not an object/],
    ['no current', JSON.stringify({ keys: { a: good } }), /"current" is not a string/],
    ['unknown current', JSON.stringify({ current: 'b', keys: { a: good } }), /names key 'b'/],
    ['a short key', JSON.stringify({ current: 'a', keys: { a: randomBytes(16).toString('base64') } }), /32-byte key/],
    ['not base64', JSON.stringify({ current: 'a', keys: { a: 'not base64!' } }), /32-byte key/],
    ['a bad id', JSON.stringify({ current: 'a:b', keys: { 'a:b': good } }), /key id 'a:b'/],
  ];
  for (const [what, text, message] of cases) {
    const file = join(dir, `${what.replace(/ /g, '-')}.json`);
    writeFileSync(file, text, { mode: 0o600 });
    assert.throws(() => Keyring.load({ keyFile: file }), wharfError('RUNTIME_ERROR', message), what);
  }
});

test('an env key is the only key and the file is not touched; its id comes from the key', (t) => {
  const file = join(tempDir(t), 'keys.json');
  const envKey = key();
  const ring = Keyring.load({ keyFile: file, envKey });
  assert.throws(() => statSync(file), /ENOENT/);
  assert.equal(Keyring.load({ keyFile: file, envKey }).currentKeyId, ring.currentKeyId);
  assert.notEqual(Keyring.load({ keyFile: file, envKey: key() }).currentKeyId, ring.currentKeyId);
  assert.equal(Keyring.load({ keyFile: file, envKey }).decrypt(ring.encrypt('v')), 'v');
  assert.throws(() => ring.rotate(), wharfError('BAD_REQUEST', /cannot rotate/, /WHARF_SECRET_KEY_PREVIOUS/));
  assert.throws(() => ring.retire('x'), wharfError('BAD_REQUEST', /cannot retire/));
  assert.throws(() => Keyring.load({ keyFile: file, envKey: 'short' }), wharfError('RUNTIME_ERROR', /WHARF_SECRET_KEY is not/, /openssl rand -base64 32/));
  assert.throws(() => Keyring.load({ keyFile: file, envKey: key() }).decrypt(ring.encrypt('v')), wharfError('RUNTIME_ERROR', /does not have/, /WHARF_SECRET_KEY_PREVIOUS/));
});

test('WHARF_SECRET_KEY_PREVIOUS decrypts old values while the new env key encrypts', (t) => {
  const file = join(tempDir(t), 'keys.json');
  const oldKey = key();
  const newKey = key();
  const before = Keyring.load({ keyFile: file, envKey: oldKey });
  const token = before.encrypt('carried over');
  const after = Keyring.load(keyringOptionsFromEnv(file, { WHARF_SECRET_KEY: newKey, WHARF_SECRET_KEY_PREVIOUS: oldKey }));
  assert.equal(after.decrypt(token), 'carried over');
  const moved = after.reencrypt(token);
  assert.equal(keyIdOf(moved), after.currentKeyId);
  assert.equal(Keyring.load({ keyFile: file, envKey: newKey }).decrypt(moved), 'carried over');
  assert.throws(() => Keyring.load({ keyFile: file, previousEnvKey: oldKey }), wharfError('RUNTIME_ERROR', /WHARF_SECRET_KEY is not/));
});

test('moving from a key file to an env key: the file key goes in WHARF_SECRET_KEY_PREVIOUS', (t) => {
  const file = join(tempDir(t), 'keys.json');
  const fromFile = Keyring.load({ keyFile: file });
  const token = fromFile.encrypt('v');
  const content = JSON.parse(readFileSync(file, 'utf8')) as { current: string; keys: Record<string, string> };
  const ring = Keyring.load({ keyFile: file, envKey: key(), previousEnvKey: content.keys[content.current] });
  assert.equal(ring.decrypt(token), 'v', 'file key ids are the same hash as env key ids');
});
