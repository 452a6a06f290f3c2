import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { AccessLog, type AccessRecord } from './access-log.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function roundTrip(records: AccessRecord[]): Promise<Array<Record<string, unknown>>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-access-log-'));
  dirs.push(dir);
  const file = path.join(dir, 'access.log');
  const log = new AccessLog(file);
  for (const r of records) log.write(r);
  await log.close();
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const base: AccessRecord = { host: 'web-production.localhost', method: 'GET', url: '/', status: 200, durationMs: 1.5, target: 'rep_1', bytesOut: 2 };

test('every line is JSON with the fields metrics read; the query string is cut off', async () => {
  const [line] = await roundTrip([{ ...base, url: '/orders?token=secret' }]);
  assert.ok(line);
  assert.equal(typeof line.time, 'string');
  assert.ok(!Number.isNaN(Date.parse(line.time as string)));
  assert.deepEqual(
    { ...line, time: undefined },
    { time: undefined, host: base.host, method: 'GET', path: '/orders', status: 200, durationMs: 1.5, target: 'rep_1', bytesOut: 2 },
  );
});

test('quotes, backslashes, control characters and non-ASCII survive; null targets and private requests are marked', async () => {
  const odd = '/a"b\\c\u0001d/ünï/😀';
  const lines = await roundTrip([
    { ...base, url: odd, host: 'hôst.localhost' },
    { ...base, target: null, status: 502, private: true },
  ]);
  assert.equal(lines[0]?.path, odd);
  assert.equal(lines[0]?.host, 'hôst.localhost');
  assert.equal(lines[1]?.target, null);
  assert.equal(lines[1]?.private, true);
  assert.equal(lines[0]?.private, undefined);
});

test('many lines and a line longer than a batch are all written, in order', async () => {
  const long = `/${'x'.repeat(200_000)}`;
  const records: AccessRecord[] = [];
  for (let i = 0; i < 5_000; i++) records.push({ ...base, url: i === 2_500 ? long : `/n/${i}`, bytesOut: i });
  const lines = await roundTrip(records);
  assert.equal(lines.length, 5_000);
  assert.deepEqual(
    lines.map((l) => l.bytesOut),
    records.map((r) => r.bytesOut),
  );
  assert.equal(lines[2_500]?.path, long);
});
