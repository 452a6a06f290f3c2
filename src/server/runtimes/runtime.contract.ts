import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReplicaSpec, ReplicaStatus, Runtime } from '../../core/runtime.js';
import { freePort } from '../ports.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { FIXTURES_DIR, fixtureSpec, httpGet, readLogLines, type FixtureSpecOptions } from './contract-helpers.js';

// What every Runtime driver must do, run against real fixture programs (test/fixtures).
// A driver's test file calls runtimeContract() and adds its own driver-specific cases.

export interface RuntimeContractOptions {
  /** How this driver runs a fixture file, e.g. inside a container; default: this Node. */
  fixtureCommand?: (fixtureFile: string) => string[];
}

export function runtimeContract(
  name: string,
  make: () => Promise<{ runtime: Runtime; cleanup(): Promise<void> }>,
  options: RuntimeContractOptions = {},
): void {
  describe(`Runtime contract: ${name}`, { timeout: 60_000 }, () => {
    let runtime: Runtime;
    let cleanup: () => Promise<void>;
    let tmp: string;
    let started: string[];

    beforeEach(async () => {
      ({ runtime, cleanup } = await make());
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-contract-'));
      started = [];
    });

    afterEach(async () => {
      for (const id of started) await runtime.remove(id).catch(() => {});
      await cleanup();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    const spec = (o: Omit<FixtureSpecOptions, 'logDir' | 'command'>): ReplicaSpec =>
      fixtureSpec({ ...o, logDir: path.join(tmp, 'logs'), command: options.fixtureCommand });

    const start = async (s: ReplicaSpec): Promise<ReplicaStatus> => {
      started.push(s.replicaId);
      return runtime.start(s);
    };

    const statusOf = async (id: string) => (await runtime.list()).find((s) => s.replicaId === id);

    const waitState = (id: string, states: ReplicaStatus['state'][], timeoutMs = 10_000) =>
      waitFor(`${id} to be ${states.join('|')}`, async () => {
        const s = await statusOf(id);
        return s && states.includes(s.state) ? s : null;
      }, { timeoutMs });

    const webSpec = async (overrides: Partial<ReplicaSpec> = {}) => {
      const port = await freePort();
      return spec({
        fixture: 'app-web',
        port,
        env: { GREETING: 'ahoy' },
        overrides: { liveness: { path: '/health', intervalMs: 100, timeoutMs: 1000, failureThreshold: 3 }, ...overrides },
      });
    };

    test('start runs a web replica that answers on its port with its env', async () => {
      const s = await webSpec();
      const first = await start(s);
      assert.equal(first.replicaId, s.replicaId);
      assert.ok(['starting', 'running'].includes(first.state), first.state);
      const running = await waitState(s.replicaId, ['running']);
      assert.equal(running.port, s.port);
      assert.equal(running.deploymentId, s.deploymentId);
      assert.equal(running.restarts, 0);
      const res = await waitFor('the app to answer', () => httpGet(s.port!, '/'));
      assert.equal(res.status, 200);
      assert.match(res.body, /hello ahoy/);
    });

    test('stdout and stderr lines reach the log file in order, with ISO timestamps', async () => {
      const s = await webSpec();
      await start(s);
      await waitState(s.replicaId, ['running']);
      await waitFor('a request', () => httpGet(s.port!, '/first'));
      await waitFor('a request', () => httpGet(s.port!, '/second'));
      const lines = await waitFor('request lines in the log', () => {
        const l = readLogLines(s.logFile);
        return l.some((x) => x.m === 'request GET /second') ? l : null;
      });
      const out = lines.filter((l) => l.s === 'out').map((l) => l.m);
      assert.ok(out.indexOf(`listening on ${s.port}`) >= 0, out.join('\n'));
      assert.ok(out.indexOf('request GET /first') < out.indexOf('request GET /second'));
      assert.ok(lines.some((l) => l.s === 'err' && l.m === 'this line goes to stderr'));
      for (const l of lines) assert.equal(new Date(l.t).toISOString(), l.t);
      const times = lines.map((l) => l.t);
      assert.deepEqual(times, [...times].sort());
    });

    test('stop ends the app and records stopped', async () => {
      const s = await webSpec();
      await start(s);
      await waitState(s.replicaId, ['running']);
      await runtime.stop(s.replicaId, { graceMs: 2000 });
      const stopped = await statusOf(s.replicaId);
      assert.equal(stopped?.state, 'stopped');
      assert.equal(await httpGet(s.port!, '/'), null, 'nothing answers on the port after stop');
      await runtime.stop(s.replicaId, { graceMs: 2000 }); // idempotent
      assert.equal((await statusOf(s.replicaId))?.state, 'stopped');
    });

    test('ON_FAILURE restarts a crashing app maxRetries times, then crashed', async () => {
      const s = spec({ fixture: 'app-crash-on-boot', overrides: { restart: { policy: 'ON_FAILURE', maxRetries: 2 } } });
      await start(s);
      const crashed = await waitState(s.replicaId, ['crashed']);
      assert.equal(crashed.restarts, 2);
      assert.equal(crashed.exitCode, 1);
      assert.match(crashed.lastReason ?? '', /exited with code 1/);
      const lines = await waitFor('the final crash line in the log', () => {
        const l = readLogLines(s.logFile);
        return l.some((x) => x.s === 'sys' && /^crashed/.test(x.m)) ? l : null;
      });
      const sys = lines.filter((l) => l.s === 'sys').map((l) => l.m);
      assert.ok(sys.some((m) => /restart 1 of 2/.test(m)), sys.join('\n'));
      assert.ok(sys.some((m) => /restart 2 of 2/.test(m)), sys.join('\n'));
      assert.equal(lines.filter((l) => l.m === 'fatal: cannot boot' && l.s === 'err').length, 3);
    });

    test('NEVER does not restart a crashing app', async () => {
      const s = spec({ fixture: 'app-crash-on-boot', overrides: { restart: { policy: 'NEVER', maxRetries: 5 } } });
      await start(s);
      const crashed = await waitState(s.replicaId, ['crashed']);
      assert.equal(crashed.restarts, 0);
    });

    test('ON_FAILURE leaves an app that exits 0 as exited', async () => {
      const s = spec({ fixture: 'app-exit-zero', overrides: { restart: { policy: 'ON_FAILURE', maxRetries: 3 } } });
      await start(s);
      const exited = await waitState(s.replicaId, ['exited']);
      assert.equal(exited.restarts, 0);
      assert.equal(exited.exitCode, 0);
    });

    test('ALWAYS restarts an app that exits 0', async () => {
      const s = spec({ fixture: 'app-exit-zero', overrides: { restart: { policy: 'ALWAYS', maxRetries: 0 } } });
      await start(s);
      const status = await waitFor('two restarts', async () => {
        const st = await statusOf(s.replicaId);
        return st && st.restarts >= 2 ? st : null;
      });
      assert.notEqual(status.state, 'exited');
      await runtime.stop(s.replicaId, { graceMs: 1000 });
      assert.equal((await statusOf(s.replicaId))?.state, 'stopped');
    });

    test('stop kills an app that ignores SIGTERM once the grace is over', async () => {
      const s = spec({ fixture: 'app-ignores-sigterm' });
      await start(s);
      await waitState(s.replicaId, ['running']);
      await waitFor('the app to be up', () => readLogLines(s.logFile).some((l) => /ignoring SIGTERM/.test(l.m)));
      const t0 = Date.now();
      await runtime.stop(s.replicaId, { graceMs: 500 });
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 400, `stop waited the grace (${elapsed} ms)`);
      assert.ok(elapsed < 500 + 4000, `stop returned within grace + margin (${elapsed} ms)`);
      assert.equal((await statusOf(s.replicaId))?.state, 'stopped');
    });

    test('liveness failures after being healthy restart the app', async () => {
      const port = await freePort();
      const s = spec({
        fixture: 'app-turns-unhealthy',
        port,
        env: { HEALTHY_PROBES: '2' },
        overrides: {
          restart: { policy: 'ON_FAILURE', maxRetries: 5 },
          liveness: { path: '/health', intervalMs: 200, timeoutMs: 1000, failureThreshold: 2 },
          stopGraceMs: 500,
        },
      });
      await start(s);
      const restarted = await waitFor('a liveness restart', async () => {
        const st = await statusOf(s.replicaId);
        return st && st.restarts >= 1 ? st : null;
      });
      assert.match(restarted.lastReason ?? '', /liveness probe failed 2 times/);
      await waitFor('the liveness lines in the log', () =>
        readLogLines(s.logFile).some((l) => l.s === 'sys' && /liveness probe failed 2 times/.test(l.m)),
      );
    });

    test('liveness failures before the app was ever healthy do not restart it', async () => {
      const port = await freePort();
      const s = spec({
        fixture: 'app-never-healthy',
        port,
        overrides: { liveness: { path: '/health', intervalMs: 100, timeoutMs: 1000, failureThreshold: 2 } },
      });
      await start(s);
      await waitFor('five failed probes', () => readLogLines(s.logFile).filter((l) => /health probe/.test(l.m)).length >= 5);
      const status = await statusOf(s.replicaId);
      assert.equal(status?.state, 'starting');
      assert.equal(status?.restarts, 0);
    });

    test('run returns the exit code of a job and logs its lines', async () => {
      const logFile = path.join(tmp, 'jobs', 'job1.log');
      const file = path.join(FIXTURES_DIR, 'app-job.js');
      const result = await runtime.run({
        jobId: 'job1',
        artifact: { kind: 'release', releaseDir: FIXTURES_DIR },
        command: options.fixtureCommand ? options.fixtureCommand(file) : [process.execPath, file],
        env: { PATH: process.env.PATH ?? '', EXIT_CODE: '3' },
        logFile,
        timeoutMs: 10_000,
      });
      assert.equal(result.jobId, 'job1');
      assert.equal(result.exitCode, 3);
      assert.equal(result.timedOut, false);
      assert.ok(Date.parse(result.endedAt) >= Date.parse(result.startedAt));
      const lines = readLogLines(logFile);
      assert.ok(lines.some((l) => l.s === 'out' && l.m === 'job output'));
      assert.ok(lines.some((l) => l.s === 'err' && l.m === 'job warning'));
    });

    test('run reports a job that outlives its timeout as timedOut', async () => {
      const file = path.join(FIXTURES_DIR, 'app-job.js');
      const t0 = Date.now();
      const result = await runtime.run({
        jobId: 'job2',
        artifact: { kind: 'release', releaseDir: FIXTURES_DIR },
        command: options.fixtureCommand ? options.fixtureCommand(file) : [process.execPath, file],
        env: { PATH: process.env.PATH ?? '', SLEEP_MS: '60000' },
        logFile: path.join(tmp, 'jobs', 'job2.log'),
        timeoutMs: 300,
      });
      assert.equal(result.timedOut, true);
      assert.ok(Date.now() - t0 < 10_000);
    });

    test('invalid replica ids are rejected before they reach a path', async () => {
      for (const bad of ['../etc', 'UPPER', 'a/b', '', 'x'.repeat(65)]) {
        const s = spec({ fixture: 'app-exit-zero', overrides: { replicaId: bad } });
        await assert.rejects(runtime.start(s), /not a valid replica id/, bad);
        await assert.rejects(runtime.stop(bad, { graceMs: 0 }), /not a valid replica id/, bad);
        await assert.rejects(runtime.remove(bad), /not a valid replica id/, bad);
      }
    });

    test('stop and remove of an unknown replica are no-ops; remove forgets a replica', async () => {
      await runtime.stop('never-started', { graceMs: 0 });
      await runtime.remove('never-started');
      const s = spec({ fixture: 'app-exit-zero', overrides: { restart: { policy: 'NEVER', maxRetries: 0 } } });
      await start(s);
      await waitState(s.replicaId, ['exited']);
      await runtime.remove(s.replicaId);
      assert.equal(await statusOf(s.replicaId), undefined);
    });
  });
}
