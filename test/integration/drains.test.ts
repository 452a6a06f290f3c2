import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { appendFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { parseDrainTarget, redactDrainUrl } from '../../src/core/drains.js';
import type { DrainRecord } from '../../src/server/drains/record.js';
import { senderFor } from '../../src/server/drains/senders.js';
import { DrainService } from '../../src/server/drains/service.js';
import { parseOctetCounting } from '../../src/server/drains/syslog.js';
import type { ShipperOptions } from '../../src/server/drains/shipper.js';
import { LogIndexer } from '../../src/server/logstore/indexer.js';
import { Store } from '../../src/server/store/store.js';
import { Keyring } from '../../src/shared/secrets/keyring.js';
import { waitFor } from '../helpers/wharf.js';

// The drain loop in-process with real parts: a Store and a log index on disk fed by real log
// files, real HTTP receivers on 127.0.0.1, the real HTTP sender. Only the timings are short.

const FAST: Partial<ShipperOptions> = { flushMs: 20, pollMs: 50, retryBaseMs: 20, retryMaxMs: 100 };
const SECRET = 'Bearer s3cret-drain-token';

interface Received {
  headers: http.IncomingHttpHeaders;
  lines: Array<Record<string, unknown>>;
  status: number;
}

/** An HTTP receiver answering with `status()` (asked per request); keeps every request. */
async function receiver(t: TestContext, status: (n: number) => number = () => 200) {
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const code = status(requests.length + 1);
      requests.push({ headers: req.headers, lines: body.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), status: code });
      res.writeHead(code, { 'content-type': 'text/plain' }).end(code >= 300 ? `failing on purpose (${code})` : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  const accepted = () => requests.filter((r) => r.status < 300).flatMap((r) => r.lines);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`, requests, accepted };
}

async function setup(t: TestContext) {
  const home = await mkdtemp(path.join(os.tmpdir(), 'wharf-drains-'));
  const logsDir = path.join(home, 'logs');
  const keyring = Keyring.load({ keyFile: path.join(home, 'secret.key') });
  const store = Store.open(path.join(home, 'state.db'), keyring);
  const { project, environment } = store.projects.createProject('shop');
  const instances = new Map<string, { serviceId: string }>();
  const service = (name: string) => {
    const svc = store.projects.createService(project.id, name, 'web');
    const instance = store.projects.findInstance(svc.id, environment.id)!;
    instances.set(instance.id, { serviceId: svc.id });
    return { serviceId: svc.id, instanceId: instance.id };
  };
  const web = service('web');
  const api = service('api');
  const index = new LogIndexer({
    logsDir,
    dbFile: path.join(home, 'logs.db'),
    scanIntervalMs: 30,
    resolve: (id) => (instances.has(id) ? { project: project.id, environment: environment.id, service: instances.get(id)!.serviceId } : null),
  });
  index.start();
  const services: DrainService[] = [];
  t.after(async () => {
    for (const s of services) await s.stop();
    await index.stop();
    store.close();
    await rm(home, { recursive: true, force: true });
  });
  let written = 0;
  return {
    store,
    index,
    projectId: project.id,
    web,
    api,
    /** Appends `count` numbered lines to a replica's log file. */
    async write(instanceId: string, count: number, prefix = 'line'): Promise<void> {
      const dir = path.join(logsDir, instanceId, 'dep_0123456789abcdef');
      await mkdir(dir, { recursive: true });
      let text = '';
      for (let i = 0; i < count; i++) text += JSON.stringify({ t: new Date().toISOString(), s: 'out', m: JSON.stringify({ level: 'warn', msg: `${prefix} ${++written}`, n: written }) }) + '\n';
      await appendFile(path.join(dir, 'rep_00000000aaaaaaaa.log'), text);
    },
    service(options: Partial<ShipperOptions> = {}): DrainService {
      const s = new DrainService({ db: store.db, box: keyring, events: store.events, logIndex: index, logger: { info() {}, warn() {}, error() {} }, options: { ...FAST, ...options } }).start();
      services.push(s);
      return s;
    },
    addDrain(drains: DrainService, url: string, scope: { serviceId?: string } = {}) {
      const target = parseDrainTarget({ url, headers: { Authorization: SECRET } });
      const drain = drains.drains.create({ projectId: project.id, environmentId: null, serviceId: scope.serviceId ?? null, target, url: redactDrainUrl(url), cursor: drains.startCursor() });
      drains.sync();
      return drain;
    },
  };
}

const numbers = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.id !== null).map((l) => (l.fields as { n: number }).n);

test('a receiver that fails the first requests gets the batch again: every line arrives once, with its fields; failing and recovered are events', async (t) => {
  const h = await setup(t);
  const hook = await receiver(t, (n) => (n <= 3 ? 500 : 200));
  const drains = h.service();
  const drain = h.addDrain(drains, hook.url);
  await h.write(h.web.instanceId, 40);
  await waitFor(() => hook.accepted().length >= 40, { timeoutMs: 10_000, what: () => `40 lines accepted (got ${hook.accepted().length} in ${hook.requests.length} requests)` });
  assert.equal(hook.requests.filter((r) => r.status === 500).length, 3);
  const accepted = hook.accepted();
  const ids = accepted.map((l) => l.id as number);
  assert.equal(new Set(ids).size, ids.length, 'no line accepted twice');
  assert.deepEqual(numbers(accepted), Array.from({ length: 40 }, (_, i) => i + 1));
  const first = accepted[0]!;
  assert.equal(first.project, 'shop');
  assert.equal(first.environment, 'production');
  assert.equal(first.service, 'web');
  assert.equal(first.deployment, 'dep_0123456789abcdef');
  assert.equal(first.replica, 'rep_00000000aaaaaaaa');
  assert.equal(first.source, 'runtime');
  assert.equal(first.level, 'warn');
  assert.equal(first.message, 'line 1');
  assert.deepEqual(first.fields, { n: 1 });
  assert.match(String(first.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(hook.requests[0]!.headers.authorization, SECRET);
  assert.equal(hook.requests[0]!.headers['content-type'], 'application/x-ndjson');
  // The status: sent, the last error kept (without the header's value), failing over.
  await waitFor(() => h.store.events.list({ kind: 'drain.recovered' }).length === 1, { timeoutMs: 5_000, what: 'drain.recovered' });
  const status = drains.drains.get(drain.id)!;
  assert.equal(status.linesSent, 40);
  assert.equal(status.failures, 0);
  assert.equal(status.failingSince, null);
  assert.ok(status.lastSuccessAt);
  assert.match(status.lastError ?? '', /^HTTP 500: failing on purpose/);
  assert.equal(status.cursor, Math.max(...ids));
  const failing = h.store.events.list({ kind: 'drain.failing' });
  assert.equal(failing.length, 1);
  assert.match(failing[0]!.message, /log drain http:\/\/127\.0\.0\.1:\d+\/ingest is failing: HTTP 500/);
  assert.doesNotMatch(JSON.stringify([status.lastError, failing]), /s3cret/);
});

test('a drain that falls too far behind drops the oldest lines and says how many once it recovers', async (t) => {
  const h = await setup(t);
  let up = false;
  const hook = await receiver(t, () => (up ? 200 : 503));
  const drains = h.service({ maxBacklog: 50 });
  const drain = h.addDrain(drains, hook.url);
  await h.write(h.web.instanceId, 200);
  await waitFor(() => drains.drains.get(drain.id)!.linesDropped === 150, { timeoutMs: 10_000, what: () => `150 lines dropped (status: ${JSON.stringify(drains.drains.get(drain.id))})` });
  assert.equal(hook.accepted().length, 0);
  up = true;
  await waitFor(() => hook.accepted().length >= 51, { timeoutMs: 10_000, what: () => `the marker and 50 lines (got ${hook.accepted().length})` });
  const [marker, ...rest] = hook.accepted();
  assert.equal(marker!.id, null);
  assert.equal(marker!.stream, 'sys');
  assert.match(String(marker!.message), /^150 log lines dropped before reaching this drain/);
  assert.deepEqual(marker!.fields, { dropped: 150 });
  // The newest 50 arrive, in order, none twice.
  assert.deepEqual(numbers(rest), Array.from({ length: 50 }, (_, i) => 151 + i));
  await waitFor(() => drains.drains.get(drain.id)!.droppedUnreported === 0, { timeoutMs: 5_000, what: 'the drop reported' });
  const status = drains.drains.get(drain.id)!;
  assert.equal(status.linesDropped, 150);
  assert.equal(status.linesSent, 50);
  // Reported once: more lines come without another marker.
  await h.write(h.web.instanceId, 5);
  await waitFor(() => hook.accepted().length >= 56, { timeoutMs: 10_000, what: 'five more lines' });
  assert.equal(hook.accepted().filter((l) => l.id === null).length, 1);
});

test('delivery goes on after a restart from the saved cursor; a scoped drain gets only its service; test() sends one line', async (t) => {
  const h = await setup(t);
  const hook = await receiver(t);
  const apiHook = await receiver(t);
  let drains = h.service();
  const drain = h.addDrain(drains, hook.url);
  h.addDrain(drains, apiHook.url, { serviceId: h.api.serviceId });
  await h.write(h.web.instanceId, 10);
  await waitFor(() => hook.accepted().length >= 10, { timeoutMs: 10_000, what: 'the first 10 lines' });
  await drains.stop();
  // Lines written while no drain runs are sent by the next one.
  await h.write(h.web.instanceId, 10);
  await h.write(h.api.instanceId, 3, 'api');
  await waitFor(() => h.index.lastId() >= 23, { timeoutMs: 5_000, what: 'the lines indexed' });
  drains = h.service();
  await waitFor(() => hook.accepted().length >= 23, { timeoutMs: 10_000, what: () => `23 lines (got ${hook.accepted().length})` });
  // Every line once (the index orders lines of different files by when it read them), ids rising.
  assert.deepEqual(numbers(hook.accepted()).sort((a, b) => a - b), Array.from({ length: 23 }, (_, i) => i + 1));
  const ids = hook.accepted().map((l) => l.id as number);
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), `ids rise: ${ids.join(',')}`);
  await waitFor(() => apiHook.accepted().length >= 3, { timeoutMs: 10_000, what: 'the api lines' });
  assert.deepEqual(apiHook.accepted().map((l) => [l.service, l.message]), [['api', 'api 21'], ['api', 'api 22'], ['api', 'api 23']]);
  const result = await drains.test(drains.drains.get(drain.id)!);
  assert.equal(result.ok, true);
  assert.equal(hook.requests.at(-1)!.lines[0]!.message, `Test line from Wharf: log drain ${drain.id} works`);
  // A receiver that is gone: test() says so.
  const gone = h.addDrain(drains, 'http://127.0.0.1:1/ingest');
  const failed = await drains.test(gone);
  assert.equal(failed.ok, false);
  assert.match(failed.error ?? '', /ECONNREFUSED/);
});

const record = (id: number, message: string): DrainRecord => ({
  id, timestamp: new Date().toISOString(), t: Date.now(), project: 'shop', environment: 'production', service: 'web', deployment: 'dep_0123456789abcdef',
  replica: 'rep_00000000aaaaaaaa', source: 'runtime', stream: 'out', level: 'info', message, fields: null,
});

/** A self-signed certificate for localhost and 127.0.0.1 (made with openssl, argv only), or null without openssl. */
async function selfSigned(dir: string): Promise<{ key: Buffer; cert: Buffer } | null> {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  try {
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { timeout: 20_000 });
  } catch {
    return null;
  }
  return { key: await readFile(key), cert: await readFile(cert) };
}

test('syslog over TLS verifies the certificate and sends octet-counted frames; over UDP one message a datagram', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-drains-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pair = await selfSigned(dir);
  if (!pair) return t.skip('openssl is not installed: no certificate to test TLS with');
  const received: string[] = [];
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({ key: pair.key, cert: pair.cert }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let rest: Buffer = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      const parsed = parseOctetCounting(Buffer.concat([rest, d]));
      received.push(...parsed.messages);
      rest = parsed.rest;
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  const port = (server.address() as AddressInfo).port;
  const target = parseDrainTarget({ url: `syslog+tls://localhost:${port}`, token: 'tls-token' });

  // Without trusting the certificate, nothing is sent.
  const untrusting = senderFor(target, 5_000);
  const refused = await untrusting.send([record(1, 'never')]);
  untrusting.close();
  assert.equal(refused.ok, false);
  assert.match(refused.error ?? '', /SELF_SIGNED|self.signed|DEPTH_ZERO/i);

  const sender = senderFor(target, 5_000, { ca: pair.cert });
  t.after(() => sender.close());
  assert.equal((await sender.send([record(1, 'first'), record(2, 'second')])).ok, true);
  assert.equal((await sender.send([record(3, 'third')])).ok, true);
  await waitFor(() => received.length === 3, { timeoutMs: 5_000, what: () => `3 messages over TLS (got ${received.length})` });
  assert.deepEqual(received.map((m) => m.split('] ').at(-1)), ['first', 'second', 'third']);
  assert.ok(received.every((m) => m.startsWith('<14>1 ') && m.includes('[auth@32473 token="tls-token"]')), received[0]);

  const datagrams: string[] = [];
  const udp = dgram.createSocket('udp4');
  udp.on('message', (m) => datagrams.push(m.toString('utf8')));
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => udp.close(() => resolve())));
  const udpSender = senderFor(parseDrainTarget({ url: `syslog+udp://127.0.0.1:${udp.address().port}`, facility: 'local7' }), 5_000);
  t.after(() => udpSender.close());
  assert.equal((await udpSender.send([record(1, 'over udp'), record(2, 'x'.repeat(20_000))])).ok, true);
  await waitFor(() => datagrams.length === 2, { timeoutMs: 5_000, what: () => `2 datagrams (got ${datagrams.length})` });
  // local7 (23) × 8 + info (6) = 190; no length prefix; a long line cut to 8 KiB.
  assert.match(datagrams[0]!, /^<190>1 \S+ shop\.production web rep_00000000aaaaaaaa runtime \[wharf@32473 [^\]]*\] over udp$/);
  assert.ok(Buffer.byteLength(datagrams[1]!) <= 8 * 1024 && Buffer.byteLength(datagrams[1]!) > 8 * 1024 - 100, String(Buffer.byteLength(datagrams[1]!)));
});
