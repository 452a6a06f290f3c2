import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { LogLineView } from '../../src/core/api.js';
import { adminToken, REPO, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// The log index end to end: JSON lines from a real app found by text, level and field; a
// flooding app cut down with "N lines dropped" markers while another app's lines all arrive;
// `wharf logs -f` resuming across a restart of the control plane without gaps or duplicates.

const RATE = 2_000;
let wharf: Wharf;
let ledger: string;
let flood: string;

// Logs JSON lines with levels and a known word, then a numbered tick every 100 ms.
const LEDGER_APP = `
const http = require('node:http');
const log = (o) => console.log(JSON.stringify(o));
log({ level: 'error', msg: 'payment declined', order: 1, user: { id: 'u-7' } });
log({ level: 'info', msg: 'payment accepted', order: 2 });
log({ level: 50, time: Date.now(), pid: process.pid, msg: 'payment gateway timeout', order: 3 });
log({ level: 'error', msg: 'disk almost full' });
console.log('ERROR payment retry exhausted');
console.error('warning: payment slow but fine');
let tick = 0;
setInterval(() => console.log('tick ' + ++tick), 100);
const server = http.createServer((req, res) => res.end('ledger'));
server.listen(Number(process.env.PORT), () => console.log('ledger listening'));
process.on('SIGTERM', () => process.exit(0));
`;

// GET /flood: prints as fast as stdout takes it for 2 s, then (after a pause, so the bucket
// has refilled) how many lines it wrote.
const FLOOD_APP = `
const http = require('node:http');
let running = false;
function flood() {
  running = true;
  const end = Date.now() + 2000;
  let n = 0;
  const chunk = () => {
    while (Date.now() < end) {
      let text = '';
      for (let i = 0; i < 500; i++) text += 'flood line ' + ++n + ' ' + 'x'.repeat(40) + '\\n';
      if (!process.stdout.write(text)) return process.stdout.once('drain', chunk);
    }
    setTimeout(() => { console.log('flood wrote ' + n + ' lines'); running = false; }, 1500);
  };
  chunk();
}
const server = http.createServer((req, res) => {
  if (req.url === '/flood' && !running) flood();
  res.end('flood');
});
server.listen(Number(process.env.PORT), () => console.log('flood listening'));
process.on('SIGTERM', () => process.exit(0));
`;

async function app(name: string, source: string): Promise<string> {
  const dir = path.join(wharf.home, `src-${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, scripts: { start: 'node app.js' } }));
  await writeFile(path.join(dir, 'app.js'), source);
  return dir;
}

async function cli(args: string[], cwd: string) {
  const result = await wharf.cli(args, { cwd });
  assert.equal(result.code, 0, `wharf ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  return result;
}

async function search(cwd: string, filter: string, extra: string[] = []): Promise<LogLineView[]> {
  const result = await cli(['logs', '--json', '--filter', filter, '--lines', '100000', ...extra], cwd);
  return result.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLineView);
}

before(async () => {
  wharf = await startWharf({ WHARF_HOST_PATTERN: '{service}-{project}.{base}', WHARF_LOG_RATE: String(RATE), WHARF_LOG_BURST: String(RATE * 2) });
  ledger = await app('ledger', LEDGER_APP);
  flood = await app('flood', FLOOD_APP);
  for (const [dir, name] of [[ledger, 'ledger'], [flood, 'flood']] as const) {
    await cli(['init', '--name', name], dir);
    await cli(['up'], dir);
  }
});
after(async () => {
  await wharf.cleanup();
});

test('logs --filter finds lines by text, level and field', async () => {
  await waitFor(async () => (await search(ledger, 'tick')).length > 0, { timeoutMs: 15_000, what: 'the ledger’s lines in the index' });
  const errors = await search(ledger, 'level:error payment');
  assert.deepEqual(errors.map((l) => l.m), ['payment declined', 'payment gateway timeout', 'ERROR payment retry exhausted']);
  assert.ok(errors.every((l) => l.level === 'error' && typeof l.id === 'number'));
  assert.deepEqual(errors[0]!.fields, { order: 1, user: { id: 'u-7' } });
  assert.deepEqual((await search(ledger, '@order:2')).map((l) => l.m), ['payment accepted']);
  assert.deepEqual((await search(ledger, '@user.id:u-7')).map((l) => l.m), ['payment declined']);
  assert.deepEqual((await search(ledger, 'payment -level:error')).map((l) => l.m), ['payment accepted', 'warning: payment slow but fine']);
  assert.deepEqual((await search(ledger, '"gateway timeout" OR disk')).map((l) => l.m), ['payment gateway timeout', 'disk almost full']);
  assert.deepEqual((await search(ledger, 'payment', ['--until', '2000-01-01T00:00:00Z'])).length, 0);
  // The text output shows the level and the fields.
  const text = await cli(['logs', '--filter', 'level:error declined'], ledger);
  assert.match(text.stdout, /ERROR payment declined order=1 user=\{"id":"u-7"\}/);
  // A bad filter is a 400 that says where.
  const bad = await wharf.cli(['logs', '--filter', 'level:error (payment'], { cwd: ledger });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /filter: this parenthesis is not closed at position 13/);
  // Without a filter, `wharf logs` still reads the live deployment's files.
  const plain = await cli(['logs', '--json', '--lines', '3'], ledger);
  assert.equal(plain.stdout.trim().split('\n').length, 3);
});

test('a flood is rate-limited with "lines dropped" markers while another app’s lines all arrive', async () => {
  const [{ m: lastTick }] = (await search(ledger, 'tick', ['--lines', '1'])) as [LogLineView];
  const fromTick = Number(lastTick.split(' ')[1]);
  const res = await wharf.get('web-flood.localhost', '/flood');
  assert.equal(res.status, 200);
  let wrote = 0;
  await waitFor(
    async () => {
      const [summary] = await search(flood, '"flood wrote"');
      wrote = summary ? Number(/flood wrote (\d+) lines/.exec(summary.m)?.[1]) : 0;
      return wrote > 0;
    },
    { timeoutMs: 30_000, what: 'the flood’s summary line' },
  );
  const markers = await search(flood, 'stream:sys dropped', ['--since', '5m']);
  assert.ok(markers.length >= 1, 'at least one marker');
  const dropped = markers.map((l) => {
    assert.equal(l.s, 'sys');
    const match = /^(\d+) lines? dropped \(rate limit: (\d+) lines\/s\)$/.exec(l.m);
    assert.ok(match, l.m);
    assert.equal(Number(match[2]), RATE);
    return Number(match[1]);
  });
  const kept = (await search(flood, 'flood line')).length;
  assert.ok(wrote > RATE * 4, `the flood wrote ${wrote} lines`);
  assert.ok(kept < wrote / 2, `kept ${kept} of ${wrote}`);
  assert.equal(kept + dropped.reduce((a, b) => a + b, 0), wrote, 'every flood line is either kept or counted as dropped');

  // The ledger kept ticking through the flood: every tick is there, none twice.
  const ticks = (await search(ledger, 'tick', ['--since', '5m'])).map((l) => Number(l.m.split(' ')[1])).filter((n) => n >= fromTick);
  assert.ok(ticks.length >= 30, `ticks during the flood: ${ticks.length}`);
  assert.deepEqual(ticks, Array.from({ length: ticks.length }, (_, i) => fromTick + i));
});

function tailOverHttp(url: string, token: string, lastEventId: number, count: number): Promise<Array<{ id: number; line: LogLineView }>> {
  return new Promise((resolve, reject) => {
    const events: Array<{ id: number; line: LogLineView }> = [];
    const req = http.get(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'last-event-id': String(lastEventId) } }, (res) => {
      let buffer = '';
      res.on('data', (d: Buffer) => {
        buffer += d.toString();
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: ?(\d+)$/m.exec(block)?.[1];
          const data = /^data: ?(.*)$/m.exec(block)?.[1];
          if (id && data) events.push({ id: Number(id), line: JSON.parse(data) as LogLineView });
          if (events.length >= count) {
            req.destroy();
            resolve(events);
          }
        }
      });
      res.on('error', () => {});
    });
    req.on('error', (error) => (events.length >= count ? undefined : reject(error)));
    req.setTimeout(20_000, () => req.destroy(new Error('tail timed out')));
  });
}

test('logs -f resumes after the control plane restarts: no gaps, no duplicates; Last-Event-ID resumes a raw SSE client', async (t) => {
  const follower = spawn(process.execPath, [path.join(REPO, 'bin/wharf.js'), 'logs', '-f', '--json', '--filter', 'tick'], { cwd: ledger, env: wharf.env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => follower.kill('SIGKILL'));
  const lines: LogLineView[] = [];
  let buffer = '';
  let stderr = '';
  follower.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  follower.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffer.slice(0, nl)) as LogLineView);
      buffer = buffer.slice(nl + 1);
    }
  });
  await waitFor(() => lines.length >= 105, { timeoutMs: 20_000, what: () => `ticks from the follower (${lines.length}; ${stderr})` });
  const beforeRestart = lines.length;
  await wharf.stopServer();
  await wharf.startServer();
  await waitFor(() => lines.length >= beforeRestart + 20, { timeoutMs: 30_000, what: () => `ticks after the restart (${lines.length - beforeRestart}; ${stderr})` });
  assert.match(stderr, /reconnecting/);
  assert.equal(follower.exitCode, null, 'still following');
  const ids = lines.map((l) => l.id!);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `ids increase: ${ids[i - 1]} then ${ids[i]}`);
  const ticks = lines.map((l) => Number(l.m.split(' ')[1]));
  assert.deepEqual(ticks, Array.from({ length: ticks.length }, (_, i) => ticks[0]! + i), 'every tick once, in order');

  // A raw SSE client resuming with Last-Event-ID gets exactly what followed that id.
  const token = await adminToken(wharf);
  const pick = lines[lines.length - 10]!;
  const url = `http://127.0.0.1:${wharf.apiPort}/v1/projects/ledger/environments/production/services/web/logs?follow=1&filter=tick`;
  const resumed = await tailOverHttp(url, token, pick.id!, 5);
  assert.deepEqual(resumed.map((e) => e.id), lines.slice(-9, -4).map((l) => l.id));
  assert.deepEqual(resumed.map((e) => e.line.m), lines.slice(-9, -4).map((l) => l.m));
});
