import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDrainTarget } from '../../core/drains.js';
import type { IndexedLine } from '../logstore/indexer.js';
import { backoffMs, fitBytes, scrubSecrets, shipperOptionsFromEnv } from './shipper.js';

test('backoff doubles from the base up to the cap', () => {
  const options = { retryBaseMs: 1_000, retryMaxMs: 60_000 };
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => backoffMs(options, n)), [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
});

test('errors are scrubbed of header values, tokens and URL credentials', () => {
  const http = parseDrainTarget({ url: 'https://bob:pa%24%24word@logs.example.com/in?key=q-secret', headers: { 'DD-API-KEY': 'dd-secret-1' } });
  assert.equal(
    scrubSecrets(http, 'HTTP 401: bad key dd-secret-1 for bob (pa$$word) q-secret'),
    'HTTP 401: bad key *** for *** (***) ***',
  );
  const syslog = parseDrainTarget({ url: 'syslog+tls://logs.example.com:6514', token: 'tok-secret' });
  assert.equal(scrubSecrets(syslog, 'refused token tok-secret'), 'refused token ***');
});

test('a batch stops before the byte limit but always holds a line', () => {
  const line = (id: number, size: number) => ({ id, message: 'x'.repeat(size), fields: null }) as IndexedLine;
  const small = [line(1, 100), line(2, 100), line(3, 100)];
  assert.equal(fitBytes(small, 10_000).length, 3);
  assert.equal(fitBytes(small, 10_000).cut, undefined);
  const cut = fitBytes([line(1, 3_000), line(2, 3_000), line(3, 3_000)], 7_000);
  assert.deepEqual(cut.map((l) => l.id), [1, 2]);
  assert.equal(cut.cut, true);
  assert.deepEqual(fitBytes([line(1, 50_000), line(2, 10)], 1_000).map((l) => l.id), [1]);
});

test('settings from the environment; bad values are ignored', () => {
  assert.deepEqual(shipperOptionsFromEnv({ WHARF_DRAIN_FLUSH_MS: '200', WHARF_DRAIN_MAX_BACKLOG: 'lots', WHARF_DRAIN_RETRY_BASE_MS: '-1' }), { flushMs: 200 });
});
