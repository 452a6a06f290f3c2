import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { packFolder } from '../../src/cli/pack.js';
import type { BuildPlan } from '../../src/core/build.js';
import { DEFAULT_SETTINGS } from '../../src/core/settings.js';
import { planBuild } from '../../src/server/builders/detect.js';
import { buildRelease } from '../../src/server/builders/execute.js';
import { readRailwayConfig } from '../../src/shared/config/railway-config.js';
import { storeSource } from '../../src/server/source/store-source.js';
import { waitFor } from '../helpers/wharf.js';

// Each example, the whole way: pack → store → plan → build a release → start it → ask it.

const EXAMPLES = path.resolve('examples');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function release(example: string, home: string): Promise<{ plan: BuildPlan; releaseDir: string; settings: typeof DEFAULT_SETTINGS }> {
  const pack = await packFolder(path.join(EXAMPLES, example));
  let source;
  try {
    source = await storeSource(createReadStream(pack.file), { sourcesDir: path.join(home, 'sources') });
  } finally {
    await pack.cleanup();
  }
  const config = await readRailwayConfig(source.path, 'production');
  const settings = { ...DEFAULT_SETTINGS, ...config.settings };
  const plan = await planBuild(source, settings);
  const releaseDir = path.join(home, 'releases', example);
  const log: string[] = [];
  await buildRelease(plan, source, { releaseDir, env: {}, log: (line) => log.push(line), timeoutMs: 120_000 });
  return { plan, releaseDir, settings };
}

async function start(plan: BuildPlan, cwd: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const port = await freePort();
  const [file, ...args] = plan.start.argv;
  const child = spawn(file!, args, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  return { child, port, output: () => output };
}

/** The first answer from a freshly started app. */
function answer(url: string): Promise<Response> {
  return waitFor(() => fetch(url), { timeoutMs: 15_000, what: `${url} to answer` });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  // 'close': every process holding the output pipes (npm and the app under it) is gone.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  process.kill(-child.pid!, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-examples-'));
  try {
    await fn(home);
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
}

test('node-web builds, answers, reports health, echoes WebSockets and stops cleanly', async () => {
  await withHome(async (home) => {
    const { plan, releaseDir, settings } = await release('node-web', home);
    assert.equal(plan.builder, 'NODE');
    assert.deepEqual(plan.start.argv, ['npm', 'start']);
    assert.equal(settings.healthcheckPath, '/api/health');
    assert.equal(settings.healthcheckTimeout, 60);
    const app = await start(plan, releaseDir, { APP_VERSION: '7' });
    try {
      const home = await answer(`http://127.0.0.1:${app.port}/`);
      assert.deepEqual(await home.json(), { app: 'node-web', version: '7', greeting: 'Hello from Wharf', replica: null });
      const health = await fetch(`http://127.0.0.1:${app.port}/api/health`);
      assert.equal(health.status, 200);
      await fs.writeFile(path.join(releaseDir, 'unhealthy'), '');
      assert.equal((await fetch(`http://127.0.0.1:${app.port}/api/health`)).status, 503);
      await fs.rm(path.join(releaseDir, 'unhealthy'));

      const ws = new WebSocket(`ws://127.0.0.1:${app.port}/ws`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const echoed = new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m))));
      ws.send('hello wharf');
      assert.equal(await echoed, 'hello wharf');
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      const slow = fetch(`http://127.0.0.1:${app.port}/slow?ms=500&announce=1`);
      await waitFor(() => app.output().includes('node-web: slow request started'), { timeoutMs: 10_000, what: () => `the slow request to reach the app; it printed:\n${app.output()}` });
      const exit = stop(app.child);
      assert.equal(await closed, 1001);
      assert.equal((await slow).status, 200, 'the in-flight request finishes');
      await exit; // npm itself ends by the same SIGTERM; the app inside must have stopped cleanly
      assert.match(app.output(), /node-web: stopped/);
    } finally {
      await stop(app.child);
    }
  });
});

test('static-site is served by the static server', async () => {
  await withHome(async (home) => {
    const { plan, releaseDir } = await release('static-site', home);
    assert.equal(plan.builder, 'STATIC');
    const app = await start(plan, releaseDir);
    try {
      const index = await answer(`http://127.0.0.1:${app.port}/`);
      assert.equal(index.status, 200, app.output());
      assert.match(await index.text(), /<h1>static-site<\/h1>/);
      const css = await fetch(`http://127.0.0.1:${app.port}/style.css`);
      assert.match(css.headers.get('content-type')!, /text\/css/);
      assert.equal((await fetch(`http://127.0.0.1:${app.port}/missing`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${app.port}/about.html`)).status, 200);
    } finally {
      assert.equal(await stop(app.child), 0, app.output());
    }
  });
});

test('procfile-app runs its web process', async () => {
  await withHome(async (home) => {
    const { plan, releaseDir } = await release('procfile-app', home);
    assert.equal(plan.builder, 'PROCFILE');
    assert.deepEqual(plan.start, { argv: ['sh', '-c', 'node app.js'], kind: 'web' });
    const app = await start(plan, releaseDir);
    try {
      const res = await answer(`http://127.0.0.1:${app.port}/`);
      assert.equal((await res.text()).trim(), 'procfile-app');
    } finally {
      await stop(app.child);
    }
  });
});
