import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ArtifactRef } from '../../core/artifact.js';
import type { Endpoint, ExecSession, ReplicaSpec, ReplicaStatus, Runtime } from '../../core/runtime.js';
import { freePort } from '../ports.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { fixtureSpec, httpGet, readLogLines, type FixtureSpecOptions } from './contract-helpers.js';

// What every Runtime driver must do, run against real fixture programs (test/fixtures).
// A driver's test file calls runtimeContract() and adds its own driver-specific cases.
// Replicas are reached at status.endpoint only: where a driver's replica listens is its own.

export interface RuntimeContractOptions {
  /**
   * What replicas, jobs and execs run: test/fixtures as this driver takes it (the release
   * folder itself for process; an image with the fixtures copied to /fixtures for docker).
   */
  fixtureArtifact(): Promise<ArtifactRef>;
  /** The argv that runs one fixture file of test/fixtures (e.g. 'app-web.js') in that artifact. */
  fixtureCommand(file: string): string[];
}

export function runtimeContract(
  name: string,
  make: () => Promise<{ runtime: Runtime; cleanup(): Promise<void> }>,
  options: RuntimeContractOptions,
): void {
  describe(`Runtime contract: ${name}`, { timeout: 60_000 }, () => {
    let runtime: Runtime;
    let cleanup: () => Promise<void>;
    let tmp: string;
    let started: string[];
    let artifact: ArtifactRef;
    const sessions: ExecSession[] = [];

    beforeEach(async () => {
      ({ runtime, cleanup } = await make());
      artifact = await options.fixtureArtifact();
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-contract-'));
      started = [];
    });

    afterEach(async () => {
      for (const session of sessions.splice(0)) session.hangUp();
      for (const id of started) await runtime.remove(id).catch(() => {});
      await cleanup();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    const spec = (o: Omit<FixtureSpecOptions, 'logDir' | 'command' | 'artifact'>): ReplicaSpec =>
      fixtureSpec({ ...o, logDir: path.join(tmp, 'logs'), artifact, command: (file) => options.fixtureCommand(path.basename(file)) });

    const endpointOf = async (id: string): Promise<Endpoint> =>
      waitFor(`${id} to have an endpoint`, async () => (await statusOf(id))?.endpoint ?? null);

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
      assert.equal(running.role, 'app');
      assert.equal(running.deploymentId, s.deploymentId);
      assert.equal(running.serviceInstanceId, s.serviceInstanceId);
      assert.equal(running.runtime, runtime.name);
      assert.equal(running.restarts, 0);
      assert.ok(running.endpoint, 'a web replica has an endpoint');
      const res = await waitFor('the app to answer at its endpoint', () => httpGet(running.endpoint!, '/'));
      assert.equal(res.status, 200);
      assert.match(res.body, /hello ahoy/);
    });

    test('stdout and stderr lines reach the log file in order, with ISO timestamps', async () => {
      const s = await webSpec();
      await start(s);
      await waitState(s.replicaId, ['running']);
      const endpoint = await endpointOf(s.replicaId);
      await waitFor('a request', () => httpGet(endpoint, '/first'));
      await waitFor('a request', () => httpGet(endpoint, '/second'));
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
      const endpoint = await endpointOf(s.replicaId);
      await waitFor('the app to answer', () => httpGet(endpoint, '/'));
      await runtime.stop(s.replicaId, { graceMs: 2000 });
      const stopped = await statusOf(s.replicaId);
      assert.equal(stopped?.state, 'stopped');
      assert.equal(await httpGet(endpoint, '/'), null, 'nothing answers at the endpoint after stop');
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
      const result = await runtime.run({
        jobId: 'job1',
        serviceInstanceId: 'svc_test',
        artifact,
        command: options.fixtureCommand('app-job.js'),
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
      const t0 = Date.now();
      const result = await runtime.run({
        jobId: 'job2',
        serviceInstanceId: 'svc_test',
        artifact,
        command: options.fixtureCommand('app-job.js'),
        env: { PATH: process.env.PATH ?? '', SLEEP_MS: '60000' },
        logFile: path.join(tmp, 'jobs', 'job2.log'),
        timeoutMs: 300,
      });
      assert.equal(result.timedOut, true);
      assert.ok(Date.now() - t0 < 10_000);
    });

    test('list() says what each replica is: an app of its deployment, or a database with none', async () => {
      const app = spec({ fixture: 'app-ignores-sigterm' });
      const db = spec({ fixture: 'app-ignores-sigterm', overrides: { role: 'database', deploymentId: null, serviceInstanceId: 'svc_db' } });
      await start(app);
      await start(db);
      await waitState(app.replicaId, ['running']);
      const listed = await waitState(db.replicaId, ['running']);
      assert.equal(listed.role, 'database');
      assert.equal(listed.deploymentId, null);
      assert.equal(listed.serviceInstanceId, 'svc_db');
      assert.equal(listed.port, null);
      assert.equal(listed.endpoint, null, 'a replica without a port has no endpoint');
      const other = await statusOf(app.replicaId);
      assert.equal(other?.role, 'app');
      assert.equal(other?.deploymentId, 'dep_test');
    });

    test('stats() reports memory and growing CPU time for live replicas, nothing for stopped ones', async () => {
      const busy = spec({ fixture: 'app-busy' });
      await start(busy);
      await waitState(busy.replicaId, ['running']);
      await waitFor('the app to be busy', () => readLogLines(busy.logFile).some((l) => l.m === 'busy'));
      const first = await waitFor('a first reading', async () => (await runtime.stats([busy.replicaId]))[0] ?? null);
      assert.equal(first.replicaId, busy.replicaId);
      assert.ok(first.memoryBytes > 0, `memory ${first.memoryBytes}`);
      assert.ok(first.cpuSeconds >= 0);
      assert.ok(Number.isFinite(first.at));
      const later = await waitFor('CPU seconds to grow under load', async () => {
        const [now] = await runtime.stats([busy.replicaId]);
        return now && now.cpuSeconds >= first.cpuSeconds + 0.2 ? now : null;
      }, { timeoutMs: 15_000 });
      assert.ok(later.at > first.at);
      assert.ok((await runtime.stats()).some((s) => s.replicaId === busy.replicaId), 'all live replicas when no ids are given');
      await runtime.stop(busy.replicaId, { graceMs: 1000 });
      assert.deepEqual(await runtime.stats([busy.replicaId]), [], 'a stopped replica has no stats');
    });

    const collect = (session: ExecSession) => {
      let text = '';
      session.onData((data) => (text += data.toString('utf8')));
      return () => text;
    };

    test('exec() runs a command on a terminal with its env and $TERM, and returns its exit code', async () => {
      const session = await runtime.exec({
        execId: `exec-${process.pid}-${Date.now()}`,
        serviceInstanceId: 'svc_test',
        artifact,
        command: options.fixtureCommand('app-exec.js'),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GREETING: 'ahoy', EXIT_CODE: '7' },
        cols: 100,
        rows: 30,
        term: 'xterm-256color',
        timeoutMs: 20_000,
      });
      sessions.push(session);
      const output = collect(session);
      const exit = await session.exited;
      assert.equal(exit.code, 7);
      assert.equal(exit.timedOut, false);
      await waitFor('the output', () => /tty=true term=xterm-256color greeting=ahoy/.test(output()), { timeoutMs: 5000 });
    });

    test('exec() ends a waiting program when hung up', async () => {
      const session = await runtime.exec({
        execId: `exec-${process.pid}-${Date.now()}-w`,
        serviceInstanceId: 'svc_test',
        artifact,
        command: options.fixtureCommand('app-exec.js'),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', WAIT: '1' },
        cols: 80,
        rows: 24,
        term: 'xterm',
        timeoutMs: 60_000,
      });
      sessions.push(session);
      const output = collect(session);
      await waitFor('the program to wait', () => output().includes('waiting'));
      session.write(Buffer.from('typed\r'));
      const t0 = Date.now();
      session.hangUp();
      const exit = await session.exited;
      assert.ok(Date.now() - t0 < 10_000, 'ended within the grace');
      assert.ok(exit.code !== 0 || exit.signal !== null, `ended by the hang-up: ${JSON.stringify(exit)}`);
      assert.equal(exit.timedOut, false);
    });

    test('a volume keeps what one replica wrote for the next one started with it', async () => {
      const volume = { name: `contract-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, mountPath: '/data' };
      // RAILWAY_VOLUME_MOUNT_PATH as the platform variables give it; the driver may point it elsewhere.
      const env = { RAILWAY_VOLUME_MOUNT_PATH: volume.mountPath };
      const writer = spec({ fixture: 'app-volume', env: { ...env, VOLUME_WRITE: 'kept across replicas' }, overrides: { volumes: [volume], restart: { policy: 'NEVER', maxRetries: 0 } } });
      await start(writer);
      await waitState(writer.replicaId, ['exited']);
      await waitFor('the writer to see its file', () => readLogLines(writer.logFile).some((l) => l.m === 'found kept across replicas'));
      await runtime.remove(writer.replicaId);
      const reader = spec({ fixture: 'app-volume', env, overrides: { volumes: [volume], restart: { policy: 'NEVER', maxRetries: 0 } } });
      await start(reader);
      await waitState(reader.replicaId, ['exited', 'crashed']);
      const lines = await waitFor('the reader to say what it found', () => {
        const l = readLogLines(reader.logFile).filter((x) => x.s === 'out');
        return l.length > 0 ? l : null;
      });
      assert.deepEqual(lines.map((l) => l.m), ['found kept across replicas']);
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
