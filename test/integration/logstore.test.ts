import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WharfError } from '../../src/core/errors.js';
import { LogIndexer } from '../../src/server/logstore/indexer.js';
import { parseAppLine } from '../../src/server/logstore/parse.js';
import { classifyLogFile } from '../../src/server/logstore/paths.js';
import { parseLogQuery, type QueryNode } from '../../src/server/logstore/query.js';
import { LOG_DB_MIGRATIONS } from '../../src/server/logstore/schema.js';
import { openSqlite } from '../../src/server/store/sqlite.js';
import { LineRateLimiter, TokenBucket } from '../../src/supervisor/rate-limit.js';

// The log store: the query language, app line parsing, and the indexer over real files
// (append, restart without duplicates, retention by age and size).

const text = (value: string, extra: Partial<{ phrase: boolean; prefix: boolean }> = {}): QueryNode => ({ kind: 'text', value, phrase: false, prefix: false, ...extra });

test('the query parser: table of queries and their trees', () => {
  const cases: Array<[string, QueryNode | null]> = [
    ['', null],
    ['   ', null],
    ['payment', text('payment')],
    ['payment failed', { kind: 'and', nodes: [text('payment'), text('failed')] }],
    ['payment AND failed', { kind: 'and', nodes: [text('payment'), text('failed')] }],
    ['"card declined"', text('card declined', { phrase: true })],
    ['pay*', text('pay', { prefix: true })],
    ['level:error', { kind: 'level', levels: ['error'] }],
    ['level:WARNING,err', { kind: 'level', levels: ['warn', 'error'] }],
    ['stream:err', { kind: 'stream', streams: ['err'] }],
    ['@user_id:42', { kind: 'field', path: ['user_id'], op: '=', value: '42' }],
    ['@order.id:"A 1"', { kind: 'field', path: ['order', 'id'], op: '=', value: 'A 1' }],
    ['@status:>=500', { kind: 'field', path: ['status'], op: '>=', value: '500' }],
    ['-health', { kind: 'not', node: text('health') }],
    ['NOT health', { kind: 'not', node: text('health') }],
    ['a OR b c', { kind: 'or', nodes: [text('a'), { kind: 'and', nodes: [text('b'), text('c')] }] }],
    ['(a OR b) c', { kind: 'and', nodes: [{ kind: 'or', nodes: [text('a'), text('b')] }, text('c')] }],
    ['level:error -(timeout OR retry)', { kind: 'and', nodes: [{ kind: 'level', levels: ['error'] }, { kind: 'not', node: { kind: 'or', nodes: [text('timeout'), text('retry')] } }] }],
    ['re-try', text('re-try')],
    ['http://x:1', text('http://x:1')],
  ];
  for (const [query, tree] of cases) assert.deepEqual(parseLogQuery(query), tree, query);
});

test('the query parser: errors name the position', () => {
  const cases: Array<[string, RegExp]> = [
    ['"unclosed', /unclosed quote at position 1/],
    ['(a OR b', /parenthesis is not closed at position 1/],
    ['a )', /'\)' without '\(' at position 3/],
    ['a OR', /OR needs something after it at position 3/],
    ['OR a', /OR needs something before it at position 1/],
    ['a AND', /AND needs something after it at position 3/],
    ['level:', /level: needs a value at position 7/],
    ['x level:loud', /unknown level 'loud'.* at position 9/],
    ['stream:foo', /unknown stream 'foo'/],
    ['@user', /needs a value, like @user:value at position 1/],
    ['@:x', /field name is missing after @ at position 1/],
    ['@n:>abc', /needs a number/],
    ['()', /empty parentheses at position 1/],
    ['a NOT', /NOT needs something to exclude at position 3/],
    ['ab"c', /quote inside a word.* at position 3/],
  ];
  for (const [query, message] of cases) {
    assert.throws(
      () => parseLogQuery(query),
      (error: unknown) => error instanceof WharfError && error.code === 'BAD_REQUEST' && message.test(error.message),
      query,
    );
  }
});

test('app lines: JSON with levels (names and pino numbers) and fields; plain lines by prefix', () => {
  assert.deepEqual(parseAppLine('{"level":"error","msg":"payment failed","order":7}'), { level: 'error', message: 'payment failed', fields: '{"order":7}' });
  assert.deepEqual(parseAppLine('{"level":50,"time":1,"pid":3,"hostname":"h","msg":"boom"}'), { level: 'error', message: 'boom', fields: null });
  assert.equal(parseAppLine('{"severity":"WARNING","message":"slow"}').level, 'warn');
  assert.equal(parseAppLine('{"level":30,"msg":"x"}').level, 'info');
  assert.deepEqual(parseAppLine('ERROR: disk full'), { level: 'error', message: 'ERROR: disk full', fields: null });
  assert.equal(parseAppLine('[warn] slow query').level, 'warn');
  assert.equal(parseAppLine('2026-01-02T03:04:05Z INFO started').level, 'info');
  assert.equal(parseAppLine('Information only').level, null);
  assert.equal(parseAppLine('listening on port 3000').level, null);
  assert.equal(parseAppLine('{not json').level, null);
});

test('log paths: which files are indexed and what they are', () => {
  const logs = '/h/logs';
  assert.deepEqual(classifyLogFile(logs, '/h/logs/si_0123abcd/dep_4567ef01/rep_89abcdef.log'), { instance: 'si_0123abcd', deployment: 'dep_4567ef01', replica: 'rep_89abcdef', source: 'runtime' });
  assert.equal(classifyLogFile(logs, '/h/logs/si_0123abcd/dep_4567ef01/build.log')?.source, 'build');
  assert.equal(classifyLogFile(logs, '/h/logs/si_0123abcd/cron/run_0a0b0c0d.log')?.source, 'cron');
  assert.equal(classifyLogFile(logs, '/h/logs/si_0123abcd/database/db_0a0b0c0d.log')?.source, 'database');
  assert.equal(classifyLogFile(logs, '/h/logs/router/access.log'), null);
  assert.equal(classifyLogFile(logs, '/h/logs/verification/x.log'), null);
});

test('rate limit: a token bucket admits the burst, then the rate; drops are reported once a second', () => {
  let now = 1_000_000;
  const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5 }, now);
  const admitted = Array.from({ length: 8 }, () => bucket.take(now)).filter(Boolean).length;
  assert.equal(admitted, 5);
  now += 1_000;
  assert.equal(Array.from({ length: 20 }, () => bucket.take(now)).filter(Boolean).length, 5, 'refills at most to the burst');

  const markers: string[] = [];
  const limiter = new LineRateLimiter({ ratePerSecond: 100, burst: 100 }, (m) => markers.push(m), () => now);
  let passed = 0;
  for (let i = 0; i < 1_000; i++) if (limiter.admit()) passed++;
  assert.equal(passed, 100);
  now += 500;
  for (let i = 0; i < 1_000; i++) if (limiter.admit()) passed++;
  now += 600;
  if (limiter.admit()) passed++;
  limiter.close();
  const dropped = markers.map((m) => Number(/^(\d+) lines? dropped \(rate limit: 100 lines\/s\)$/.exec(m)?.[1]));
  assert.ok(markers.length >= 2 && markers.length <= 3, markers.join('\n'));
  assert.equal(dropped.reduce((a, b) => a + b, 0) + passed, 2_001, 'every line is either written or counted');
  limiter.close();
});

let home: string;
let logs: string;
const ids = { instance: 'si_00000000aaaa', deployment: 'dep_00000000bbbb', other: 'si_00000000cccc' };
const names = (instance: string) => ({ project: instance === ids.other ? 'prj_other' : 'prj_main', environment: 'env_1', service: `svc_${instance}` });

before(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'wharf-logstore-'));
  logs = path.join(home, 'logs');
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

async function write(file: string, lines: Array<{ m: string; s?: string; t?: string | Date }>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const text = lines.map((l) => JSON.stringify({ t: l.t instanceof Date ? l.t.toISOString() : (l.t ?? new Date().toISOString()), s: l.s ?? 'out', m: l.m })).join('\n') + '\n';
  await appendFile(file, text);
}

const replicaFile = (replica: string, instance = ids.instance) => path.join(logs, instance, ids.deployment, `${replica}.log`);
const open = (extra: Partial<ConstructorParameters<typeof LogIndexer>[0]> = {}) =>
  new LogIndexer({ logsDir: logs, dbFile: path.join(home, 'logs.db'), resolve: names, batchLines: 7, ...extra });

test('the indexer tails real files, parses JSON lines, and a restart adds no duplicates', async () => {
  const a = replicaFile('rep_00000000000a');
  await write(a, [{ m: 'listening on port 3000' }, { m: JSON.stringify({ level: 'error', msg: 'payment failed', order: { id: 'A1' }, amount: 12 }) }]);
  await write(path.join(logs, ids.instance, ids.deployment, 'build.log'), [{ m: 'npm ci' }, { m: 'build ok' }]);
  let indexer = open();
  assert.equal(await indexer.scan(), 4);
  // Appending, including a torn last line: only whole lines are indexed.
  await write(a, Array.from({ length: 20 }, (_, i) => ({ m: `{"level":"info","msg":"tick ${i}","n":${i}}` })));
  await appendFile(a, `{"t":"${new Date().toISOString()}","s":"out","m":"half`);
  assert.equal(await indexer.scan(), 20);
  const error = indexer.search({ filter: 'level:error payment', limit: 10 });
  assert.deepEqual(error.map((l) => [l.level, l.message, l.project, l.service, l.replica, l.source]), [['error', 'payment failed', 'prj_main', `svc_${ids.instance}`, 'rep_00000000000a', 'runtime']]);
  assert.deepEqual(JSON.parse(error[0]!.fields!), { order: { id: 'A1' }, amount: 12 });
  assert.equal(indexer.search({ filter: '@order.id:A1', limit: 10 }).length, 1);
  assert.equal(indexer.search({ filter: '@amount:>10', limit: 10 }).length, 1);
  assert.equal(indexer.search({ filter: '@n:>=15', limit: 10 }).length, 5);
  assert.equal(indexer.search({ filter: 'build', sources: ['build'], limit: 10 }).length, 1);
  assert.equal(indexer.search({ filter: 'tick -"tick 3"', limit: 100 }).length, 19);
  const all = indexer.search({ limit: 100 });
  assert.equal(all.length, 24);
  await indexer.stop();

  // The rest of the torn line arrives while the indexer is down; it resumes at its offset.
  await appendFile(a, ' done"}\n');
  await write(a, [{ m: 'after restart' }]);
  indexer = open();
  assert.equal(await indexer.scan(), 2);
  assert.equal(await indexer.scan(), 0);
  const again = indexer.search({ limit: 100 });
  assert.equal(again.length, 26);
  assert.equal(new Set(again.map((l) => l.id)).size, 26);
  assert.deepEqual(
    again.filter((l) => l.source === 'runtime').map((l) => l.message).slice(-3),
    ['tick 19', 'half done', 'after restart'],
  );
  // A tail from an id returns what came after it, in order.
  const from = again[10]!.id;
  assert.deepEqual(indexer.search({ afterId: from, limit: 100 }).map((l) => l.id), again.slice(11).map((l) => l.id));
  await indexer.stop();
});

test('retention deletes lines past the age and the oldest past a project size, keeps the rest', async () => {
  const indexer = open();
  await indexer.scan();
  const before = indexer.search({ limit: 1000 }).length;
  const old = new Date(Date.now() - 40 * 86_400_000);
  await write(replicaFile('rep_0000000000bb'), [{ m: 'ancient one', t: old }, { m: 'ancient two', t: old }, { m: 'fresh one' }]);
  await indexer.scan();
  assert.equal(indexer.search({ filter: 'ancient', limit: 10 }).length, 2);
  assert.equal(await indexer.enforceRetention(), 2);
  assert.equal(indexer.search({ filter: 'ancient', limit: 10 }).length, 0);
  assert.equal(indexer.search({ filter: 'fresh', limit: 10 }).length, 1);
  assert.equal(indexer.search({ limit: 1000 }).length, before + 1);
  await indexer.stop();

  // By size: another project writes 1000 lines over a small limit; its oldest go, ours stay.
  const small = open({ maxBytesPerProject: 50_000 });
  await write(replicaFile('rep_0000000000cc', ids.other), Array.from({ length: 1000 }, (_, i) => ({ m: `other line ${i} ${'x'.repeat(100)}` })));
  await small.scan();
  assert.ok(small.projectBytes('prj_other') > 50_000);
  const ours = small.search({ instances: [ids.instance], limit: 1000 }).length;
  await small.enforceRetention();
  assert.ok(small.projectBytes('prj_other') <= 50_000, String(small.projectBytes('prj_other')));
  const left = small.search({ instances: [ids.other], limit: 1000 });
  assert.ok(left.length > 0 && left.length < 1000);
  assert.equal(left[left.length - 1]!.message.startsWith('other line 999'), true, 'the newest are kept');
  assert.equal(small.search({ instances: [ids.instance], limit: 1000 }).length, ours);
  // FTS follows the deletes: a search finds only what is left.
  assert.equal(small.search({ filter: 'other', instances: [ids.other], limit: 1000 }).length, left.length);
  await small.stop();
});

test('lines written many to a statement keep their file order, ids and FTS entries', async () => {
  const dir = path.join(home, 'order');
  const indexer = open({ batchLines: 5_000, logsDir: path.join(dir, 'logs'), dbFile: path.join(dir, 'logs.db') });
  const file = path.join(dir, 'logs', ids.instance, ids.deployment, 'rep_0000000000dd.log');
  // 300 lines: two statements of many rows and a remainder of single rows, in one transaction.
  await write(file, Array.from({ length: 300 }, (_, i) => ({ m: i % 3 === 0 ? JSON.stringify({ level: 'warn', msg: `seq ${i}`, n: i }) : `seq ${i}` })));
  assert.equal(await indexer.scan(), 300);
  const lines = indexer.search({ instances: [ids.instance], filter: 'seq', limit: 1000 });
  assert.deepEqual(lines.map((l) => l.message), Array.from({ length: 300 }, (_, i) => `seq ${i}`));
  assert.ok(lines.every((l, i) => i === 0 || l.id === lines[i - 1]!.id + 1), 'consecutive ids in file order');
  assert.ok(lines.every((l) => l.replica === 'rep_0000000000dd' && l.project === 'prj_main' && l.source === 'runtime'));
  assert.equal(indexer.search({ filter: 'level:warn seq', limit: 1000 }).length, 100);
  assert.deepEqual(indexer.search({ filter: '@n:299', limit: 10 }).map((l) => l.message), []);
  assert.deepEqual(indexer.search({ filter: '@n:297', limit: 10 }).map((l) => l.message), ['seq 297']);
  assert.deepEqual(indexer.search({ filter: '"seq 150"', limit: 10 }).map((l) => l.message), ['seq 150']);
  // Offsets are bytes: lines with multi-byte characters, committed in several batches, then a
  // restart that reads on from the last commit without repeating or losing a line.
  await indexer.stop();
  const small = () => open({ batchLines: 7, logsDir: path.join(dir, 'logs'), dbFile: path.join(dir, 'logs.db') });
  let again = small();
  // A byte that is not UTF-8 (decoded as U+FFFD, three bytes once encoded again) first.
  await appendFile(file, Buffer.concat([Buffer.from(`{"t":"${new Date().toISOString()}","s":"out","m":"bad `), Buffer.from([0xff]), Buffer.from(' byte café"}\n')]));
  await write(file, Array.from({ length: 30 }, (_, i) => ({ m: `café ☕ ${i} 🚢` })));
  // After every commit, the saved offset is just past the newline of the last line committed.
  const commits: Array<[number, number]> = [];
  again.onLines(() => {
    const offset = again.db.prepare('SELECT offset FROM files WHERE path = ?').pluck().get(file) as number;
    commits.push([offset, again.db.prepare('SELECT count(*) FROM lines WHERE replica = ?').pluck().get('rep_0000000000dd') as number]);
  });
  assert.equal(await again.scan(), 31);
  const bytes = await readFile(file);
  assert.equal(commits.length, 5);
  for (const [offset, count] of commits) {
    assert.equal(bytes[offset - 1], 0x0a);
    assert.equal(bytes.subarray(0, offset).toString().split('\n').length - 1, count);
  }
  await again.stop();
  await write(file, [{ m: 'après 🚢' }]);
  again = small();
  assert.equal(await again.scan(), 1);
  const cafe = again.search({ filter: 'café OR après', limit: 100 }).map((l) => l.message);
  assert.deepEqual(cafe, ['bad \ufffd byte café', ...Array.from({ length: 30 }, (_, i) => `café ☕ ${i} 🚢`), 'après 🚢']);
  await again.stop();
});

test('an index written before migration 2 is rebuilt and answers the same searches', async () => {
  const dir = path.join(home, 'v1');
  const dbFile = path.join(dir, 'logs.db');
  // The index as migration 1 left it, filled the way the indexer filled it then.
  const v1 = openSqlite(dbFile, LOG_DB_MIGRATIONS.slice(0, 1));
  const insert = v1.prepare("INSERT INTO lines (t, project, environment, service, instance, deployment, replica, source, stream, level, message, fields, bytes) VALUES (?, 'prj_main', 'env_1', 'svc', ?, ?, 'rep_1', 'runtime', 'out', ?, ?, ?, 100)");
  const fts = v1.prepare('INSERT INTO lines_fts (rowid, message, level, fields) VALUES (?, ?, ?, ?)');
  const rows: Array<[string | null, string, string | null]> = [['error', 'payment failed', '{"order":7}'], [null, 'listening on port 3000', null], ['info', 'paid', '{"order":8}']];
  for (const [level, message, fields] of rows) {
    const { lastInsertRowid } = insert.run(Date.now(), ids.instance, ids.deployment, level, message, fields);
    fts.run(lastInsertRowid, message, level, fields);
  }
  v1.close();
  const indexer = open({ logsDir: path.join(dir, 'logs'), dbFile });
  assert.equal(indexer.db.pragma('user_version', { simple: true }), LOG_DB_MIGRATIONS.length);
  assert.deepEqual(indexer.search({ filter: 'level:error payment', limit: 10 }).map((l) => l.message), ['payment failed']);
  assert.deepEqual(indexer.search({ filter: '@order:8', limit: 10 }).map((l) => l.message), ['paid']);
  assert.deepEqual(indexer.search({ filter: 'port -payment', limit: 10 }).map((l) => l.message), ['listening on port 3000']);
  // New lines go on after the old ones; deleting old ones keeps FTS in step.
  await write(path.join(dir, 'logs', ids.instance, ids.deployment, 'rep_0000000000ee.log'), [{ m: 'payment retried' }]);
  assert.equal(await indexer.scan(), 1);
  assert.deepEqual(indexer.search({ filter: 'payment', limit: 10 }).map((l) => l.message), ['payment failed', 'payment retried']);
  indexer.db.prepare("DELETE FROM lines WHERE message = 'payment failed'").run();
  assert.deepEqual(indexer.search({ filter: 'payment', limit: 10 }).map((l) => l.message), ['payment retried']);
  assert.equal(indexer.db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'lines_fts_docsize'").pluck().get(), 0);
  await indexer.stop();
});
