import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import type { DrainView } from '../../src/core/drains.js';
import { parseOctetCounting } from '../../src/server/drains/syslog.js';
import { freePort } from '../../src/server/ports.js';
import { copyExample, httpRequest, parseJson, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// Log drains end to end: examples/node-web deployed by a real Wharf with an HTTP drain (a local
// receiver that fails its first requests) and a syslog drain over TCP (a local receiver reading
// octet-counted RFC 5424 frames); a ticking worker whose lines keep arriving at a healthy drain,
// with no gap, while two drains point at nothing, and across a restart of the control plane.
//
// Delivery is at least once: a batch is sent again until it is accepted, and the receiver sees
// each line's id; a batch accepted just before the control plane stops without saving its
// cursor would be sent twice. These tests assert no line is accepted twice in normal running.

const SECRET = 's3cret-drain-key';
let wharf: Wharf;
let web: string;
let ticker: string;
const closers: Array<() => Promise<void>> = [];

interface HttpReceiver {
  url: string;
  requests: Array<{ status: number; authorization: string | undefined; contentType: string | undefined; lines: Array<Record<string, unknown>> }>;
  accepted(): Array<Record<string, unknown>>;
}

async function httpReceiver(status: (n: number) => number = () => 200): Promise<HttpReceiver> {
  const requests: HttpReceiver['requests'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const code = status(requests.length + 1);
      const lines = body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      requests.push({ status: code, authorization: req.headers.authorization, contentType: req.headers['content-type'], lines });
      res.writeHead(code).end(code >= 300 ? 'not now' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`,
    requests,
    accepted: () => requests.filter((r) => r.status < 300).flatMap((r) => r.lines),
  };
}

async function syslogReceiver(): Promise<{ port: number; messages: string[]; errors: string[] }> {
  const messages: string[] = [];
  const errors: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let rest: Buffer = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      try {
        const parsed = parseOctetCounting(Buffer.concat([rest, d]));
        messages.push(...parsed.messages);
        rest = parsed.rest;
      } catch (error) {
        errors.push((error as Error).message);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  }));
  return { port: (server.address() as AddressInfo).port, messages, errors };
}

async function cli(args: string[], cwd: string) {
  const result = await wharf.cli(args, { cwd });
  assert.equal(result.code, 0, `wharf ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  return result;
}

const TICKER_APP = `
let n = 0;
setInterval(() => console.log(JSON.stringify({ level: 'info', msg: 'tick', n: ++n })), 20);
process.on('SIGTERM', () => process.exit(0));
`;

let main: HttpReceiver;
let syslog: Awaited<ReturnType<typeof syslogReceiver>>;

before(async () => {
  wharf = await startWharf({ WHARF_DRAIN_FLUSH_MS: '200', WHARF_DRAIN_RETRY_BASE_MS: '100', WHARF_DRAIN_RETRY_MAX_MS: '400' });
  web = await copyExample('node-web', wharf.home);
  ticker = path.join(wharf.home, 'src-ticker');
  await mkdir(ticker, { recursive: true });
  await writeFile(path.join(ticker, 'package.json'), JSON.stringify({ name: 'ticker', version: '1.0.0', private: true, scripts: { start: 'node ticker.js' } }));
  await writeFile(path.join(ticker, 'ticker.js'), TICKER_APP);
  main = await httpReceiver((n) => (n <= 2 ? 500 : 200));
  syslog = await syslogReceiver();
});

after(async () => {
  await wharf.cleanup();
  for (const close of closers) await close();
});

test('node-web deployed with an HTTP drain (which fails at first) and a syslog TCP drain: its lines arrive with their fields, framed as RFC 5424', async () => {
  await cli(['init', '--name', 'shop'], web);
  const bad = await wharf.cli(['drains', 'add', 'ftp://example.com/logs'], { cwd: web });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /must start with https:\/\/, http:\/\/, syslog\+tls:\/\/, syslog\+tcp:\/\/ or syslog\+udp:\/\//);
  const badHeader = await wharf.cli(['drains', 'add', main.url, '--header', 'Content-Type: text/plain'], { cwd: web });
  assert.equal(badHeader.code, 1);
  assert.match(badHeader.stderr, /set by Wharf/);

  const httpDrain = parseJson<DrainView>(await cli(['drains', 'add', main.url, '--header', `Authorization: Bearer ${SECRET}`, '--json'], web));
  assert.deepEqual(httpDrain.headers, ['Authorization']);
  assert.equal(httpDrain.status.state, 'new');
  const added = await cli(['drains', 'add', `syslog+tcp://127.0.0.1:${syslog.port}`, '--token', 'tok-e2e', '--facility', 'local0'], web);
  assert.match(added.stdout, /Added log drain drn_[0-9a-f]+: all services \/ all environments → syslog\+tcp:\/\/127\.0\.0\.1:\d+/);
  await cli(['up'], web);

  const listening = /^node-web 1 listening on port \d+$/;
  await waitFor(() => main.accepted().some((l) => listening.test(String(l.message))), { timeoutMs: 30_000, what: () => `node-web's line at the HTTP drain (${main.requests.length} requests)` });
  const line = main.accepted().find((l) => listening.test(String(l.message)))!;
  assert.equal(line.project, 'shop');
  assert.equal(line.environment, 'production');
  assert.equal(line.service, 'web');
  assert.equal(line.source, 'runtime');
  assert.equal(line.stream, 'out');
  assert.match(String(line.deployment), /^dep_[0-9a-f]+$/);
  assert.match(String(line.replica), /^rep_[0-9a-f]+$/);
  assert.equal(typeof line.id, 'number');
  assert.ok(Math.abs(Date.parse(String(line.timestamp)) - Date.now()) < 120_000);
  // The build's lines are drained too.
  assert.ok(main.accepted().some((l) => l.source === 'build' && l.deployment === line.deployment), 'build lines');
  // The first two requests failed and were sent again: every line accepted exactly once.
  assert.equal(main.requests.filter((r) => r.status === 500).length, 2);
  const ids = main.accepted().map((l) => l.id as number);
  assert.equal(new Set(ids).size, ids.length, 'no line accepted twice');
  for (const failed of main.requests.filter((r) => r.status === 500).flatMap((r) => r.lines)) assert.ok(ids.includes(failed.id as number), `line ${String(failed.id)} of a failed batch arrived later`);
  assert.ok(main.requests.every((r) => r.authorization === `Bearer ${SECRET}` && r.contentType === 'application/x-ndjson'));

  // Syslog: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG; local0 (16) × 8 + info (6) = 134.
  const frame = new RegExp(
    `^<134>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z shop\\.production web ${line.replica} runtime ` +
      `\\[auth@32473 token="tok-e2e"\\]\\[wharf@32473 project="shop" environment="production" service="web" deployment="${line.deployment}" replica="${line.replica}" source="runtime" stream="out" id="${line.id}"\\] ${line.message}$`,
  );
  await waitFor(() => syslog.messages.some((m) => frame.test(m)), { timeoutMs: 20_000, what: () => `the same line at the syslog drain (${syslog.messages.slice(-3).join('\n')})` });
  assert.deepEqual(syslog.errors, []);
  assert.ok(syslog.messages.every((m) => /^<1\d\d>1 /.test(m)), 'every message is an RFC 5424 one');

  // Status: both delivering; the HTTP drain remembers its last error, without the secret.
  const list = await cli(['drains', 'list', '--json'], web);
  assert.doesNotMatch(list.stdout, new RegExp(SECRET));
  assert.doesNotMatch(list.stdout, /tok-e2e/);
  const drains = parseJson<DrainView[]>(list);
  assert.equal(drains.length, 2);
  const h = drains.find((d) => d.id === httpDrain.id)!;
  assert.equal(h.status.state, 'ok');
  assert.ok(h.status.linesSent >= ids.length, JSON.stringify(h.status));
  assert.match(h.status.lastError ?? '', /^HTTP 500/);
  const s = drains.find((d) => d.transport === 'syslog+tcp')!;
  assert.equal(s.token, true);
  assert.equal(s.facility, 'local0');
  assert.ok(s.status.linesSent > 0);
  const text = await cli(['drains'], web);
  assert.match(text.stdout, /ok, \d+ sent, last/);
  const tested = await cli(['drains', 'test', httpDrain.id], web);
  assert.match(tested.stdout, /^Sent \(200\) in \d+ ms/);
  await waitFor(() => main.accepted().some((l) => l.message === `Test line from Wharf: log drain ${httpDrain.id} works`), { timeoutMs: 5_000, what: 'the test line' });

  // The routes are in the OpenAPI document with their schemas.
  const doc = JSON.parse((await httpRequest(`http://127.0.0.1:${wharf.apiPort}/v1/openapi.json`)).body) as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
  assert.ok(doc.paths['/v1/projects/{project}/drains']?.post?.requestBody);
  assert.ok(doc.paths['/v1/projects/{project}/drains/{id}/test']?.post);
});

test('drains that point at nothing do not hold back the app, the log index or other drains; delivery resumes after a control-plane restart without a gap', async () => {
  const ticks = await httpReceiver();
  const dead = await freePort();
  await cli(['up', '--kind', 'worker', '--project', 'shop', '--service', 'ticker'], ticker);
  const deadHttp = parseJson<DrainView>(await cli(['drains', 'add', `http://127.0.0.1:${dead}/ingest`, '--json'], web));
  await cli(['drains', 'add', `syslog+tcp://127.0.0.1:${dead}`], web);
  const scoped = parseJson<DrainView>(await cli(['drains', 'add', ticks.url, '--service', 'ticker', '--json'], web));
  assert.equal(scoped.service, 'ticker');

  const numbers = () => ticks.accepted().map((l) => (l.fields as { n: number }).n);
  await waitFor(() => numbers().length >= 150, { timeoutMs: 30_000, what: () => `ticks at the scoped drain (${numbers().length})` });
  assert.ok(ticks.accepted().every((l) => l.service === 'ticker' && l.message === 'tick' && l.level === 'info'), 'only the ticker, parsed');
  const first = numbers()[0]!;
  assert.deepEqual(numbers(), Array.from({ length: numbers().length }, (_, i) => first + i), 'every tick, once, in order');
  // The same ticks reach the project-wide drains that work, and `wharf logs` has them all.
  await waitFor(() => main.accepted().some((l) => l.service === 'ticker') && syslog.messages.some((m) => / ticker rep_\S+ runtime /.test(m)), { timeoutMs: 20_000, what: 'ticks at the other drains' });
  const logs = await cli(['logs', '--json', '--service', 'ticker', '--filter', 'tick', '--lines', '100000'], web);
  const indexed = logs.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { fields: { n: number } }).fields.n);
  const start = indexed.indexOf(first);
  assert.deepEqual(indexed.slice(start, start + 150), Array.from({ length: 150 }, (_, i) => first + i));

  // The dead drains say why, without slowing anyone down; test says so too.
  await waitFor(async () => {
    const list = parseJson<DrainView[]>(await cli(['drains', 'list', '--json'], web));
    const failing = list.filter((d) => d.status.state === 'failing');
    return failing.length === 2 && failing.every((d) => /ECONNREFUSED/.test(d.status.lastError ?? ''));
  }, { timeoutMs: 20_000, what: 'the two dead drains failing with ECONNREFUSED' });
  const test = await wharf.cli(['drains', 'test', deadHttp.id], { cwd: web });
  assert.equal(test.code, 1);
  assert.match(test.stdout, /Not sent: ECONNREFUSED/);
  const text = await cli(['drains', 'list'], web);
  assert.match(text.stdout, /FAILING since .*ECONNREFUSED/);

  // Restart the control plane: the ticker keeps writing; the drain goes on from its cursor.
  const before = numbers().length;
  await wharf.stopServer();
  await wharf.startServer();
  await waitFor(() => numbers().length >= before + 100, { timeoutMs: 30_000, what: () => `ticks after the restart (${numbers().length - before})` });
  const all = numbers();
  assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => first + i), 'no gap and no repeat across the restart');

  // Deleting a drain stops it.
  await cli(['drains', 'delete', deadHttp.id], web);
  const left = parseJson<DrainView[]>(await cli(['drains', 'list', '--json'], web));
  assert.ok(!left.some((d) => d.id === deadHttp.id));
  const gone = await wharf.cli(['drains', 'test', deadHttp.id], { cwd: web });
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /log drain '.*' does not exist in project 'shop'/);
});
