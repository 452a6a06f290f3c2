import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VariableView } from '../../core/api.js';
import { isWharfError } from '../../core/errors.js';
import { exportDotenv, importDotenv, kvLines, MASK } from './dotenv-file.js';

const at = '2026-12-01T00:00:00.000Z';
const plain = (key: string, value: string): VariableView => ({ key, value, secret: false, sealed: false, updatedAt: at });
const list: VariableView[] = [
  plain('PLAIN', 'a b # c'),
  plain('MULTI', 'one\ntwo'),
  { key: 'TOKEN', value: 'sk_live_1', secret: true, sealed: false, updatedAt: at },
  { key: 'SEALED', value: null, secret: true, sealed: true, updatedAt: at },
  { key: 'HIDDEN', value: MASK, secret: true, sealed: false, updatedAt: at },
];

test('an export reads back as the same values, secret ones still secret; sealed and unreadable ones are comments', () => {
  const text = exportDotenv(list);
  assert.match(text, /^# SEALED is sealed/m);
  assert.match(text, /^# HIDDEN is secret and this token may not read it/m);
  assert.doesNotMatch(text, /\*{8}/);
  const back = importDotenv(text, 'f.env');
  assert.deepEqual(back.values, { PLAIN: 'a b # c', MULTI: 'one\ntwo', TOKEN: 'sk_live_1' });
  assert.deepEqual([...back.secret], ['TOKEN']);
});

test('an import that holds masks is refused, naming every masked key', () => {
  assert.throws(
    () => importDotenv("A='********'\nB=********\nC=fine\n", 'env_backup.txt'),
    (e) => isWharfError(e) && e.code === 'BAD_REQUEST' && /env_backup\.txt: A, B hold the mask/.test(e.message),
  );
});

test('--kv lines: what can be read, as KEY=VALUE', () => {
  assert.deepEqual(importDotenv(kvLines(list), 'kv').values, { PLAIN: 'a b # c', MULTI: 'one\ntwo', TOKEN: 'sk_live_1' });
});
