import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReplicaSpec } from '../../src/core/runtime.js';
import type { SupervisedStatus as ReplicaStatus } from '../../src/supervisor/status-file.js';
import { freePort } from '../../src/server/ports.js';
import { FIXTURES_DIR, fixtureSpec, httpGet, readLogLines } from '../../src/server/runtimes/contract-helpers.js';
import { waitFor } from '../helpers/wait.js';
import { ProcessRuntime } from '../../src/server/runtimes/process/process-runtime.js';
import { runtimeContract } from '../../src/server/runtimes/runtime.contract.js';
import { processAlive } from '../../src/supervisor/process-group.js';

runtimeContract('process', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-process-runtime-'));
  return {
    runtime: new ProcessRuntime({ replicasDir: path.join(home, 'run', 'replicas'), work: { appsDir: path.join(home, 'apps'), mode: 'link' } }),
    cleanup: async () => fs.rmSync(home, { recursive: true, force: true }),
  };
}, {
  // The release is test/fixtures itself; each replica runs in its own working copy of it.
  fixtureArtifact: async () => ({ kind: 'release', releaseDir: FIXTURES_DIR }),
  fixtureCommand: (file) => [process.execPath, path.join(FIXTURES_DIR, file)],
});

describe('ProcessRuntime', { timeout: 60_000 }, () => {
  let home: string;
  let replicasDir: string;
  let runtime: ProcessRuntime;
  let started: string[];
  let pidsToReap: number[];

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-process-runtime-'));
    replicasDir = path.join(home, 'run', 'replicas');
    runtime = new ProcessRuntime({ replicasDir, work: { appsDir: path.join(home, 'apps'), mode: 'link' } });
    started = [];
    pidsToReap = [];
  });

  afterEach(async () => {
    for (const id of started) await runtime.remove(id).catch(() => {});
    for (const pid of pidsToReap) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone, as it should be */
      }
    }
    fs.rmSync(home, { recursive: true, force: true });
  });

  const spec = (fixture: string, port: number | null = null, overrides: Partial<ReplicaSpec> = {}) =>
    fixtureSpec({ fixture, port, logDir: path.join(home, 'logs'), env: { GREETING: 'ahoy' }, overrides });

  const start = async (s: ReplicaSpec, rt: ProcessRuntime = runtime) => {
    started.push(s.replicaId);
    return rt.start(s);
  };

  const statusOf = async (id: string, rt: ProcessRuntime = runtime) =>
    (await rt.list()).find((s) => s.replicaId === id);

  const waitStatus = (what: string, id: string, ok: (s: ReplicaStatus) => boolean) =>
    waitFor(what, async () => {
      const s = await statusOf(id);
      return s && ok(s) ? s : null;
    });

  test('writes spec.json and status.json with both pids in the replica directory', async () => {
    const s = spec('app-ignores-sigterm');
    const status = await start(s);
    const dir = path.join(replicasDir, s.replicaId);
    // The app runs in its own working copy of the release, outside the replica's bookkeeping.
    const workDir = path.join(home, 'apps', 'replicas', s.replicaId);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'spec.json'), 'utf8')), { ...s, cwd: workDir });
    assert.ok(fs.existsSync(path.join(workDir, 'app-ignores-sigterm.js')), 'the working copy holds the release');
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')) as ReplicaStatus;
    assert.ok(status.supervisorPid && processAlive(status.supervisorPid));
    assert.ok(onDisk.appPid && processAlive(onDisk.appPid));
    assert.notEqual(onDisk.appPid, onDisk.supervisorPid);
  });

  test('starting an id that is already running is a conflict', async () => {
    const s = spec('app-ignores-sigterm');
    await start(s);
    await assert.rejects(runtime.start(s), (err: Error & { code?: string }) => err.code === 'CONFLICT');
  });

  test('stop kills the app process that ignores SIGTERM', async () => {
    const s = spec('app-ignores-sigterm');
    const { appPid } = await start(s);
    assert.ok(appPid);
    await runtime.stop(s.replicaId, { graceMs: 500 });
    assert.equal(processAlive(appPid), false);
    await waitFor('the stopped line', () => readLogLines(s.logFile).some((l) => l.s === 'sys' && l.m === 'stopped'));
  });

  test('stop ends the whole process group, grandchildren included', async () => {
    const s = spec('app-with-grandchild');
    const { appPid } = await start(s);
    const line = await waitFor('the grandchild pid in the log', () =>
      readLogLines(s.logFile).find((l) => /^grandchild \d+$/.test(l.m)),
    );
    const grandchild = Number(line.m.split(' ')[1]);
    pidsToReap.push(grandchild);
    assert.ok(processAlive(grandchild));
    await runtime.stop(s.replicaId, { graceMs: 300 });
    assert.equal(processAlive(appPid!), false);
    assert.equal(processAlive(grandchild), false, 'the grandchild was killed with the group');
  });

  test('a new runtime instance adopts replicas started by a control plane that died', async () => {
    const port = await freePort();
    const s = spec('app-web', port, { liveness: { path: '/health', intervalMs: 100, timeoutMs: 1000, failureThreshold: 3 } });
    started.push(s.replicaId);
    // A separate "control plane" process starts the replica, reports, and is then killed -9.
    const runtimeModule = new URL('../../src/server/runtimes/process/process-runtime.ts', import.meta.url).href;
    const script = `
      const { ProcessRuntime } = await import(${JSON.stringify(runtimeModule)});
      const rt = new ProcessRuntime({ replicasDir: ${JSON.stringify(replicasDir)}, work: { appsDir: ${JSON.stringify(path.join(home, 'apps'))}, mode: 'link' } });
      const status = await rt.start(${JSON.stringify(s)});
      console.log(JSON.stringify(status));
      setInterval(() => {}, 1000);`;
    const controlPlane = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    pidsToReap.push(controlPlane.pid!);
    let out = '';
    controlPlane.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const first = await waitFor('the control plane to start the replica', () =>
      out.includes('\n') ? (JSON.parse(out.split('\n')[0]!) as ReplicaStatus) : null,
    );
    const exited = new Promise((resolve) => controlPlane.once('exit', resolve));
    controlPlane.kill('SIGKILL');
    await exited;

    const adopted = new ProcessRuntime({ replicasDir, work: { appsDir: path.join(home, 'apps'), mode: 'link' } });
    const status = await waitFor('the adopted replica to be running', async () => {
      const st = await statusOf(s.replicaId, adopted);
      return st?.state === 'running' ? st : null;
    });
    assert.equal(status.appPid, first.appPid);
    assert.equal(status.supervisorPid, first.supervisorPid);
    assert.equal(status.restarts, 0);
    const res = await waitFor('the app to answer', () => httpGet(port, '/after-control-plane-died'));
    assert.match(res.body, /hello ahoy/);
    await waitFor('the app to keep logging', () =>
      readLogLines(s.logFile).some((l) => l.m === 'request GET /after-control-plane-died'),
    );
    assert.equal((await adopted.list()).filter((r) => r.replicaId === s.replicaId).length, 1, 'no duplicate');
    await adopted.stop(s.replicaId, { graceMs: 1000 });
    assert.equal(processAlive(first.appPid!), false);
    assert.equal(processAlive(first.supervisorPid!), false);
  });

  test('the supervisor restarts an app killed from outside (kill -9)', async () => {
    const s = spec('app-ignores-sigterm', null, { restart: { policy: 'ON_FAILURE', maxRetries: 3 } });
    const { appPid } = await start(s);
    await waitStatus('running', s.replicaId, (st) => st.state === 'running');
    process.kill(appPid!, 'SIGKILL');
    const restarted = await waitStatus('a restart with a new pid', s.replicaId, (st) =>
      st.state === 'running' && st.appPid !== null && st.appPid !== appPid,
    );
    assert.equal(restarted.restarts, 1);
    assert.match(restarted.lastReason ?? '', /SIGKILL/);
    assert.equal(processAlive(appPid!), false);
  });

  test('a supervisor killed -9 is reported lost, and remove kills the app it left', async () => {
    const s = spec('app-ignores-sigterm');
    const { appPid, supervisorPid } = await start(s);
    await waitStatus('running', s.replicaId, (st) => st.state === 'running');
    process.kill(supervisorPid!, 'SIGKILL');
    const lost = await waitStatus('lost', s.replicaId, (st) => st.state === 'lost');
    assert.equal(lost.appPid, appPid);
    assert.ok(processAlive(appPid!), 'the app outlives its supervisor until removed');
    await runtime.remove(s.replicaId);
    assert.equal(processAlive(appPid!), false);
    assert.equal(await statusOf(s.replicaId), undefined);
    assert.equal(fs.existsSync(path.join(replicasDir, s.replicaId)), false);
  });

  test('a bad command is recorded, not thrown: crashed with the spawn error', async () => {
    const s = spec('app-exit-zero', null, {
      command: ['/nonexistent/wharf-binary'],
      restart: { policy: 'ON_FAILURE', maxRetries: 1 },
    });
    await start(s);
    const crashed = await waitStatus('crashed', s.replicaId, (st) => st.state === 'crashed');
    assert.equal(crashed.restarts, 1);
    assert.match(crashed.lastReason ?? '', /could not start/);
  });

  test('a TCP liveness probe (no path) marks a listening app running', async () => {
    const port = await freePort();
    const s = spec('app-web', port, { liveness: { path: null, intervalMs: 100, timeoutMs: 500, failureThreshold: 2 } });
    const first = await start(s);
    assert.equal(first.state, 'starting');
    await waitStatus('running', s.replicaId, (st) => st.state === 'running');
  });

  test('the supervisor ignores SIGHUP', async () => {
    const s = spec('app-ignores-sigterm');
    const { supervisorPid, appPid } = await start(s);
    process.kill(supervisorPid!, 'SIGHUP');
    // Only a live supervisor writes the "stopped" sys line: it must have outlived SIGHUP.
    await runtime.stop(s.replicaId, { graceMs: 200 });
    const sys = readLogLines(s.logFile).filter((l) => l.s === 'sys').map((l) => l.m);
    assert.ok(sys.includes('stopped'), sys.join('\n'));
    assert.equal(processAlive(appPid!), false);
  });

  test('list is empty when the replicas directory does not exist yet', async () => {
    assert.deepEqual(await runtime.list(), []);
  });

  test('a volume is a 0700 folder under <WHARF_HOME>/volumes, given to the app as RAILWAY_VOLUME_MOUNT_PATH', async () => {
    const s = spec('app-volume', null, {
      volumes: [{ name: 'pv-data', mountPath: '/data' }],
      env: { PATH: process.env.PATH ?? '', RAILWAY_VOLUME_MOUNT_PATH: '/data', VOLUME_WRITE: 'x' },
      restart: { policy: 'NEVER', maxRetries: 0 },
    });
    await start(s);
    await waitStatus('exited', s.replicaId, (st) => st.state === 'exited');
    const dir = path.join(home, 'volumes', 'pv-data');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.readFileSync(path.join(dir, 'kept.txt'), 'utf8'), 'x');
  });

  test('an image is refused with a hint naming the docker runtime', async () => {
    const s = spec('app-web', null, { artifact: { kind: 'image', image: 'wharf/x:y', digest: 'sha256:0' } });
    await assert.rejects(runtime.start(s), /runs release folders only/);
  });
});
