import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type Dockerode from 'dockerode';
import type { ArtifactRef } from '../../../core/artifact.js';
import type { Endpoint, ReplicaSpec, ReplicaStatus } from '../../../core/runtime.js';
import { Keyring } from '../../../shared/secrets/keyring.js';
import type { SecretBox } from '../../../shared/secrets/secret-box.js';
import type { LogLine } from '../../../shared/log-writer.js';
import { waitFor } from '../../../../test/helpers/wait.js';
import { buildFixtureImage, dockerOrNull, dockerSkip, fixtureCommand, sweep, TEST_LABELS } from '../../../../test/fixtures/docker/fixture-image.js';
import { DockerRuntime } from './docker-runtime.js';
import { containerName } from './labels.js';

// What the docker driver does beyond the runtime contract, against the real engine: adoption
// by a second control plane, two installations on one engine, OOM kills, limits and security
// defaults, private networks, volumes, and crash restarts while no control plane is up.

const SUITE = { 'wharf.test.suite': `dockrt-${process.pid}` };
const skip = await dockerSkip();


function get(endpoint: Endpoint | null, urlPath = '/'): Promise<{ status: number; body: string } | null> {
  if (!endpoint) return Promise.resolve(null);
  return new Promise((resolve) => {
    const req = http.get({ host: endpoint.host, port: endpoint.port, path: urlPath, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

function readLog(file: string): LogLine[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
  } catch {
    return [];
  }
}

describe('docker runtime (driver)', { skip, timeout: 240_000 }, () => {
  let docker: Dockerode;
  let artifact: Extract<ArtifactRef, { kind: 'image' }>;
  let tmp: string;
  let home: string;
  const runtimes: DockerRuntime[] = [];
  let counter = 0;
  let box: SecretBox;

  const make = (h = home, stateDir = path.join(h, 'docker')) => {
    const rt = new DockerRuntime({ docker, home: h, stateDir, seal: { box }, labels: { ...TEST_LABELS, ...SUITE } });
    runtimes.push(rt);
    return rt;
  };

  const spec = (fixture: string, o: Partial<ReplicaSpec> = {}): ReplicaSpec => {
    const replicaId = `t${process.pid}-${++counter}`;
    return {
      replicaId,
      role: 'app',
      deploymentId: 'dep_test',
      serviceInstanceId: 'svc_test',
      artifact,
      command: fixtureCommand(`${fixture}.js`),
      env: { GREETING: 'ahoy' },
      port: null,
      restart: { policy: 'ON_FAILURE', maxRetries: 2 },
      liveness: null,
      stopGraceMs: 2000,
      logFile: path.join(tmp, 'logs', `${replicaId}.log`),
      ...o,
    };
  };
  const web = (o: Partial<ReplicaSpec> = {}) =>
    spec('app-web', { port: 8080, liveness: { path: '/health', intervalMs: 100, timeoutMs: 1000, failureThreshold: 3 }, ...o });

  const statusOf = async (rt: DockerRuntime, id: string) => (await rt.list()).find((s) => s.replicaId === id);
  const waitState = (rt: DockerRuntime, id: string, states: ReplicaStatus['state'][], timeoutMs = 15_000) =>
    waitFor(`${id} to be ${states.join('|')}`, async () => {
      const s = await statusOf(rt, id);
      return s && states.includes(s.state) ? s : null;
    }, { timeoutMs, intervalMs: 100 });

  before(async () => {
    docker = (await dockerOrNull())!;
    artifact = await buildFixtureImage(docker, `wharf-test-fixtures:dockrt-${process.pid}`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-dockrt-'));
    home = path.join(tmp, 'home');
    box = Keyring.load({ keyFile: path.join(tmp, 'secret.key') });
  });

  after(async () => {
    for (const rt of runtimes) await rt.close();
    if (docker) {
      await sweep(docker, SUITE);
      await docker.getImage(artifact.image).remove({ force: true }).catch(() => {});
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('a web replica runs, answers at its endpoint, logs to its file, stops idempotently', async () => {
    const rt = make();
    const s = web({ secretValues: [{ key: 'GREETING_SECRET', value: 'ahoy-secret-value' }], env: { GREETING: 'ahoy-secret-value' } });
    const first = await rt.start(s);
    assert.equal(first.runtime, 'docker');
    assert.ok(['starting', 'running'].includes(first.state));
    const running = await waitState(rt, s.replicaId, ['running']);
    assert.equal(running.endpoint?.port, 8080);
    const res = await waitFor('the app to answer', () => get(running.endpoint));
    assert.equal(res.status, 200);
    await get(running.endpoint, '/second');
    const lines = await waitFor('request lines', () => {
      const l = readLog(s.logFile);
      return l.some((x) => x.m === 'request GET /second') ? l : null;
    });
    assert.ok(lines.some((l) => l.s === 'err' && l.m === 'this line goes to stderr'));
    assert.ok(lines.some((l) => l.s === 'sys' && /^started container/.test(l.m)));
    const times = lines.map((l) => l.t);
    assert.deepEqual(times, [...times].sort());
    // Secrets: neither the labels nor the state folder hold the value in clear.
    const info = await docker.getContainer(containerName(s.replicaId)).inspect();
    assert.ok(!JSON.stringify(info.Config.Labels).includes('ahoy-secret-value'));
    for (const f of fs.readdirSync(path.join(home, 'docker', 'replicas', s.replicaId))) {
      assert.ok(!fs.readFileSync(path.join(home, 'docker', 'replicas', s.replicaId, f), 'utf8').includes('ahoy-secret-value'), f);
    }
    await rt.stop(s.replicaId, { graceMs: 2000 });
    assert.equal((await statusOf(rt, s.replicaId))?.state, 'stopped');
    await rt.stop(s.replicaId, { graceMs: 2000 });
    assert.equal((await statusOf(rt, s.replicaId))?.state, 'stopped');
    await waitFor('the stopped line', () => readLog(s.logFile).some((l) => l.s === 'sys' && l.m === 'stopped'));
    await rt.remove(s.replicaId);
    assert.equal(await statusOf(rt, s.replicaId), undefined);
    await assert.rejects(docker.getContainer(containerName(s.replicaId)).inspect());
  });

  test('ON_FAILURE: the engine restarts maxRetries times, then crashed, with sys lines', async () => {
    const rt = make();
    const s = spec('app-crash-on-boot');
    await rt.start(s);
    const crashed = await waitState(rt, s.replicaId, ['crashed'], 20_000);
    assert.equal(crashed.restarts, 2);
    assert.equal(crashed.exitCode, 1);
    assert.match(crashed.lastReason ?? '', /exited with code 1/);
    const lines = await waitFor('the crash line', () => {
      const l = readLog(s.logFile);
      return l.some((x) => x.s === 'sys' && /^crashed/.test(x.m)) ? l : null;
    });
    const sys = lines.filter((l) => l.s === 'sys').map((l) => l.m);
    assert.ok(sys.some((m) => /restart 1 of 2/.test(m)), sys.join('\n'));
    assert.ok(sys.some((m) => /restart 2 of 2/.test(m)), sys.join('\n'));
    await waitFor('three boots in the log', () => readLog(s.logFile).filter((l) => l.m === 'fatal: cannot boot').length === 3);
    await rt.remove(s.replicaId);
  });

  test('limits and security defaults are applied (inspect)', async () => {
    const rt = make();
    const s = web({ limits: { memoryBytes: 128 * 2 ** 20, cpus: 0.5 }, stopGraceMs: 3000 });
    await rt.start(s);
    const info = await docker.getContainer(containerName(s.replicaId)).inspect();
    const hc = info.HostConfig as Dockerode.HostConfig & { Init?: boolean };
    assert.equal(hc.Memory, 128 * 2 ** 20);
    assert.equal(hc.MemorySwap, 128 * 2 ** 20);
    assert.equal(hc.NanoCpus, 5e8);
    assert.equal(hc.PidsLimit, 1024);
    assert.equal(hc.Privileged, false);
    assert.equal(hc.Init, true);
    assert.deepEqual(hc.Binds ?? [], []);
    assert.ok(hc.CapDrop?.includes('NET_RAW'));
    assert.ok(hc.SecurityOpt?.includes('no-new-privileges'));
    assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
    assert.equal((info.Config as { StopTimeout?: number }).StopTimeout, 3);
    assert.equal(info.Config.Labels['wharf.role'], 'app');
    assert.equal(info.Config.Labels['wharf.deployment'], 'dep_test');
    assert.equal(info.Config.Labels['wharf.managed'], '1');
    assert.equal(info.Mounts.filter((m) => m.Type === 'bind').length, 0);
    await waitState(rt, s.replicaId, ['running']);
    const [stats] = await rt.stats([s.replicaId]);
    assert.ok(stats && stats.memoryBytes > 0 && stats.cpuSeconds > 0, JSON.stringify(stats));
    assert.equal(stats.memoryLimitBytes, 128 * 2 ** 20);
    await rt.remove(s.replicaId);
  });

  test('a second runtime over the same engine and home adopts: same state, log resumes without duplicates', async () => {
    const first = make();
    const s = web({ secretValues: [{ key: 'TOKEN', value: 'tok-3f9a8c2d' }] });
    await first.start(s);
    const before = await waitState(first, s.replicaId, ['running']);
    await waitFor('a request', () => get(before.endpoint, '/one'));
    await waitFor('/one in the log', () => readLog(s.logFile).some((l) => l.m === 'request GET /one'));
    await first.close();
    // While no control plane watches, the app keeps writing: the engine's log keeps it.
    await waitFor('a request', () => get(before.endpoint, '/while-down'));
    const second = make();
    const adopted = await statusOf(second, s.replicaId);
    assert.equal(adopted?.state, 'running');
    assert.deepEqual(adopted?.endpoint, before.endpoint);
    assert.equal(adopted?.deploymentId, 'dep_test');
    await waitFor('a request', () => get(adopted!.endpoint, '/after'));
    // The adopting instance opened the sealed secret values: it still redacts.
    await waitFor('a request', () => get(adopted!.endpoint, '/tok-3f9a8c2d'));
    await waitFor('the redacted line', () => readLog(s.logFile).some((l) => l.m === 'request GET /[secret:TOKEN]'));
    assert.ok(!fs.readFileSync(s.logFile, 'utf8').includes('tok-3f9a8c2d'));
    const lines = await waitFor('/after in the log', () => {
      const l = readLog(s.logFile);
      return l.some((x) => x.m === 'request GET /after') ? l : null;
    });
    for (const m of ['request GET /one', 'request GET /while-down', 'request GET /after', `listening on 8080`]) {
      assert.equal(lines.filter((l) => l.m === m).length, 1, `${m} once in\n${lines.map((l) => l.m).join('\n')}`);
    }
    await second.remove(s.replicaId);
  });

  test('an adopting instance without the key does not collect a log it cannot redact', async () => {
    const first = make();
    const s = web({ secretValues: [{ key: 'TOKEN', value: 'tok-77aa11bb' }] });
    await first.start(s);
    const up = await waitState(first, s.replicaId, ['running']);
    await first.close();
    const keyless = new DockerRuntime({ docker, home, labels: { ...TEST_LABELS, ...SUITE } });
    runtimes.push(keyless);
    assert.equal((await statusOf(keyless, s.replicaId))?.state, 'running');
    await waitFor('a request', () => get(up.endpoint, '/tok-77aa11bb'));
    await waitFor('the paused line', () => readLog(s.logFile).some((l) => l.s === 'sys' && /^log collection paused/.test(l.m)));
    assert.ok(!fs.readFileSync(s.logFile, 'utf8').includes('tok-77aa11bb'));
    await keyless.remove(s.replicaId);
  });

  test('two homes on one engine do not see each other\'s replicas', async () => {
    const a = make();
    const b = make(path.join(tmp, 'other-home'));
    const s = spec('app-exit-zero', { restart: { policy: 'NEVER', maxRetries: 0 } });
    await a.start(s);
    assert.ok(await statusOf(a, s.replicaId));
    assert.equal(await statusOf(b, s.replicaId), undefined);
    assert.equal((await b.stats()).length, 0);
    await a.remove(s.replicaId);
  });

  test('an OOM kill is reported with oomKilled and a sys line', async () => {
    const rt = make();
    const s = spec('app-alloc', { limits: { memoryBytes: 32 * 2 ** 20 }, restart: { policy: 'NEVER', maxRetries: 0 } });
    await rt.start(s);
    const crashed = await waitState(rt, s.replicaId, ['crashed'], 20_000);
    assert.equal(crashed.oomKilled?.limitBytes, 32 * 2 ** 20);
    assert.match(crashed.lastReason ?? '', /out of memory/);
    await waitFor('the OOM line', () => readLog(s.logFile).some((l) => l.s === 'sys' && l.m === 'killed: out of memory (limit 32 MiB)'));
    await rt.remove(s.replicaId);
  });

  test('replicas on a private network reach each other by alias', async () => {
    const rt = make();
    const network = { name: `wharf-test-net-${process.pid}`, aliases: ['api', 'api.railway.internal'] };
    const server = web({ network });
    await rt.start(server);
    const status = await waitState(rt, server.replicaId, ['running']);
    const netInfo = await docker.getNetwork(network.name).inspect();
    assert.equal(netInfo.Labels?.['wharf.managed'], '1');
    assert.equal(netInfo.Internal, false);
    assert.ok(status.endpoint && status.endpoint.host !== '127.0.0.1');
    const client = spec('app-web', {
      network: { name: network.name, aliases: ['web'] },
      restart: { policy: 'NEVER', maxRetries: 0 },
      command: ['node', '-e', "fetch('http://api.railway.internal:8080/').then(r=>r.text()).then(t=>console.log('got: '+t)).catch(e=>{console.log('failed '+e);process.exit(1)})"],
    });
    await rt.start(client);
    await waitState(rt, client.replicaId, ['exited'], 20_000);
    await waitFor('the fetched line', () => readLog(client.logFile).some((l) => /^got: hello ahoy/.test(l.m)));
    await rt.remove(client.replicaId);
    await rt.remove(server.replicaId);
  });

  test('a named volume outlives its replica and serves the next one', async () => {
    const rt = make();
    const volumes = [{ name: `test-${process.pid}`, mountPath: '/data' }];
    const writer = spec('app-web', { volumes, restart: { policy: 'NEVER', maxRetries: 0 }, command: ['node', '-e', "require('fs').writeFileSync('/data/x','kept')"] });
    await rt.start(writer);
    await waitState(rt, writer.replicaId, ['exited']);
    await rt.remove(writer.replicaId);
    const reader = spec('app-web', { volumes, restart: { policy: 'NEVER', maxRetries: 0 }, command: ['node', '-e', "console.log('read: '+require('fs').readFileSync('/data/x','utf8'))"] });
    await rt.start(reader);
    await waitState(rt, reader.replicaId, ['exited']);
    await waitFor('the read line', () => readLog(reader.logFile).some((l) => l.m === 'read: kept'));
    const vol = await docker.getVolume(`wharf-vol-test-${process.pid}`).inspect();
    assert.equal(vol.Labels?.['wharf.managed'], '1');
    await rt.remove(reader.replicaId);
  });

  test('the engine restarts a crashing container while no control plane is up', async () => {
    const first = make();
    const s = spec('app-crash-on-boot', { restart: { policy: 'ON_FAILURE', maxRetries: 3 } });
    await first.start(s);
    await first.close();
    await waitFor('three restarts by the engine', async () => {
      const info = await docker.getContainer(containerName(s.replicaId)).inspect();
      return info.RestartCount === 3 && !info.State.Running && !info.State.Restarting;
    }, { timeoutMs: 20_000, intervalMs: 100 });
    const second = make();
    const crashed = await waitState(second, s.replicaId, ['crashed']);
    assert.equal(crashed.restarts, 3);
    await waitFor('four boots in the log, once each', () => readLog(s.logFile).filter((l) => l.m === 'fatal: cannot boot').length === 4);
    await waitFor('the crash line', () => readLog(s.logFile).some((l) => l.s === 'sys' && /^crashed/.test(l.m)));
    await second.remove(s.replicaId);
  });

  test('liveness failures after being healthy restart the container', async () => {
    const rt = make();
    const s = spec('app-turns-unhealthy', {
      port: 8080,
      env: { HEALTHY_PROBES: '3' },
      restart: { policy: 'ON_FAILURE', maxRetries: 5 },
      liveness: { path: '/health', intervalMs: 200, timeoutMs: 1000, failureThreshold: 2 },
    });
    await rt.start(s);
    const restarted = await waitFor('a liveness restart', async () => {
      const st = await statusOf(rt, s.replicaId);
      return st && st.restarts >= 1 ? st : null;
    }, { timeoutMs: 20_000 });
    assert.match(restarted.lastReason ?? '', /liveness probe failed 2 times/);
    assert.ok(restarted.unhealthySince, 'unhealthy since the threshold');
    await waitFor('the liveness line', () => readLog(s.logFile).some((l) => l.s === 'sys' && /liveness probe failed 2 times/.test(l.m)));
    // The restarted run is probed too: it turns unhealthy again and is restarted again.
    const again = await waitFor('a second liveness restart', async () => {
      const st = await statusOf(rt, s.replicaId);
      return st && st.restarts >= 2 ? st : null;
    }, { timeoutMs: 20_000 });
    assert.match(again.lastReason ?? '', /liveness probe failed 2 times/);
    const sys = readLog(s.logFile).filter((l) => l.s === 'sys').map((l) => l.m);
    assert.ok(sys.includes('liveness probe passed: healthy again'), sys.join('\n'));
    assert.ok(sys.some((m) => m === 'restarting (restart 2 of 5)'), sys.join('\n'));
    await rt.remove(s.replicaId);
  });

  test('liveness restarts honour maxRetries: then the replica is crashed, not restarted', async () => {
    const rt = make();
    const s = spec('app-turns-unhealthy', {
      port: 8080,
      env: { HEALTHY_PROBES: '2' },
      restart: { policy: 'ON_FAILURE', maxRetries: 1 },
      liveness: { path: '/health', intervalMs: 200, timeoutMs: 1000, failureThreshold: 2 },
      stopGraceMs: 500,
    });
    await rt.start(s);
    const crashed = await waitState(rt, s.replicaId, ['crashed'], 30_000);
    assert.equal(crashed.restarts, 1);
    assert.match(crashed.lastReason ?? '', /liveness probe failed 2 times/);
    await waitFor('the give-up line', () => readLog(s.logFile).some((l) => l.s === 'sys' && /^crashed: liveness probe failed 2 times.*not restarting \(ON_FAILURE\)$/.test(l.m)));
    const info = await docker.getContainer(containerName(s.replicaId)).inspect();
    assert.equal(info.State.Running, false);
    await rt.remove(s.replicaId);
  });

  test('a job runs to its exit code, logs, and is removed; a timeout kills it', async () => {
    const rt = make();
    const seen: string[] = [];
    const logFile = path.join(tmp, 'logs', 'job1.log');
    const result = await rt.run({ jobId: `j${process.pid}-1`, artifact, command: fixtureCommand('app-job.js'), env: { EXIT_CODE: '3' }, logFile, timeoutMs: 20_000, onLine: (l) => seen.push(l) });
    assert.equal(result.exitCode, 3);
    assert.ok(seen.includes('job output') && seen.includes('job warning'), seen.join('\n'));
    assert.ok(readLog(logFile).some((l) => l.s === 'err' && l.m === 'job warning'));
    await assert.rejects(docker.getContainer(`wharf-job-j${process.pid}-1`).inspect());
    const slow = await rt.run({ jobId: `j${process.pid}-2`, artifact, command: fixtureCommand('app-job.js'), env: { SLEEP_MS: '30000' }, logFile, timeoutMs: 1500 });
    assert.equal(slow.timedOut, true);
    const abort = new AbortController();
    const cancelled = rt.run({ jobId: `j${process.pid}-3`, artifact, command: fixtureCommand('app-job.js'), env: { SLEEP_MS: '30000' }, logFile, timeoutMs: 20_000, signal: abort.signal });
    await waitFor('the job to run', async () => (await docker.getContainer(`wharf-job-j${process.pid}-3`).inspect()).State.Running);
    abort.abort();
    const r = await cancelled;
    assert.equal(r.cancelled, true);
    assert.equal(r.timedOut, false);
    await assert.rejects(docker.getContainer(`wharf-job-j${process.pid}-3`).inspect());
  });

  test('ALWAYS restarts an app that exits 0; stop ends the loop as stopped', async () => {
    const rt = make();
    const s = spec('app-exit-zero', { restart: { policy: 'ALWAYS', maxRetries: 0 } });
    await rt.start(s);
    const status = await waitFor('two restarts', async () => {
      const st = await statusOf(rt, s.replicaId);
      return st && st.restarts >= 2 ? st : null;
    }, { timeoutMs: 20_000 });
    assert.notEqual(status.state, 'exited');
    await rt.stop(s.replicaId, { graceMs: 1000 });
    assert.equal((await statusOf(rt, s.replicaId))?.state, 'stopped');
    await rt.remove(s.replicaId);
  });

  test('stop kills an app that ignores SIGTERM once the grace is over', async () => {
    const rt = make();
    const s = spec('app-ignores-sigterm');
    await rt.start(s);
    await waitState(rt, s.replicaId, ['running']);
    await waitFor('the app to be up', () => readLog(s.logFile).some((l) => /ignoring SIGTERM/.test(l.m)));
    const t0 = Date.now();
    await rt.stop(s.replicaId, { graceMs: 500 });
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 400 && elapsed < 4500, `stop took ${elapsed} ms`);
    assert.equal((await statusOf(rt, s.replicaId))?.state, 'stopped');
    await waitFor('SIGTERM reached the app through init', () => readLog(s.logFile).some((l) => l.m === 'SIGTERM ignored'));
    await rt.remove(s.replicaId);
  });

  test('liveness failures before the app was ever healthy do not restart it', async () => {
    const rt = make();
    const s = spec('app-never-healthy', { port: 8080, liveness: { path: '/health', intervalMs: 100, timeoutMs: 1000, failureThreshold: 2 } });
    await rt.start(s);
    await waitFor('five failed probes', () => readLog(s.logFile).filter((l) => /health probe/.test(l.m)).length >= 5);
    const status = await statusOf(rt, s.replicaId);
    assert.equal(status?.state, 'starting');
    assert.equal(status?.restarts, 0);
    await rt.remove(s.replicaId);
  });

  test('invalid replica ids are refused; unknown ones are no-ops', async () => {
    const rt = make();
    for (const bad of ['../etc', 'UPPER', 'a/b', '', 'x'.repeat(65)]) {
      await assert.rejects(rt.start({ ...spec('app-exit-zero'), replicaId: bad }), /not a valid replica id/, bad);
      await assert.rejects(rt.stop(bad, { graceMs: 0 }), /not a valid replica id/, bad);
      await assert.rejects(rt.remove(bad), /not a valid replica id/, bad);
    }
    await rt.stop('never-started', { graceMs: 0 });
    await rt.remove('never-started');
  });

  test('a container removed behind Wharf\'s back is lost', async () => {
    const rt = make();
    const s = spec('app-web', { port: 8080 });
    await rt.start(s);
    await docker.getContainer(containerName(s.replicaId)).remove({ force: true });
    const lost = await waitState(rt, s.replicaId, ['lost']);
    assert.equal(lost.deploymentId, 'dep_test');
    await rt.remove(s.replicaId);
    assert.equal(await statusOf(rt, s.replicaId), undefined);
  });

  test('exec runs a command on a TTY in a fresh container, removed at its end', async () => {
    const rt = make();
    const session = await rt.exec({
      execId: `e${process.pid}`,
      artifact,
      command: ['sh', '-c', 'read line; echo "got $line $(stty size)"'],
      env: {},
      cols: 100,
      rows: 30,
      term: 'xterm',
      timeoutMs: 20_000,
    });
    let out = '';
    session.onData((d) => (out += d.toString()));
    session.write(Buffer.from('hello\n'));
    const exit = await session.exited;
    assert.equal(exit.code, 0);
    assert.match(out, /got hello 30 100/);
    await assert.rejects(docker.getContainer(`wharf-exec-e${process.pid}`).inspect());
  });

  test('removeArtifact keeps an image a container uses, and removes it once none does', async () => {
    const rt = make();
    const tag = `wharf-test-removable:${process.pid}`;
    const ctx = path.join(tmp, 'removable');
    fs.mkdirSync(ctx, { recursive: true });
    // Its own digest (a label of its own), one tag: what a Wharf build leaves.
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${artifact.digest}\nLABEL wharf.test.removable=${process.pid}\n`);
    const stream = await docker.buildImage({ context: ctx, src: ['Dockerfile'] }, { t: tag, labels: TEST_LABELS });
    await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve(null))));
    const own: ArtifactRef = { kind: 'image', image: tag, digest: (await docker.getImage(tag).inspect()).Id };
    const s = { ...spec('app-ignores-sigterm'), artifact: own };
    await rt.start(s);
    await rt.removeArtifact(own);
    assert.ok(await docker.getImage(tag).inspect());
    await rt.remove(s.replicaId);
    await rt.removeArtifact(own);
    await assert.rejects(docker.getImage(tag).inspect());
    await rt.removeArtifact(own); // gone already: fine
  });

  test('a job container left by an earlier control plane is removed by the next one', async () => {
    const first = make();
    const job = first.run({ jobId: `j${process.pid}-orphan`, artifact, command: fixtureCommand('app-job.js'), env: { SLEEP_MS: '30000' }, logFile: path.join(tmp, 'logs', 'orphan.log'), timeoutMs: 60_000 });
    const name = `wharf-job-j${process.pid}-orphan`;
    await waitFor('the job to run', async () => (await docker.getContainer(name).inspect()).State.Running);
    // Its control plane "dies" (here: a newer instance appears while the job still runs).
    const created = Date.parse((await docker.getContainer(name).inspect()).Created);
    await waitFor('the engine clock (whole seconds) to pass the job\'s creation', () => Date.now() > created + 1500, { timeoutMs: 5000 });
    const second = make();
    await second.list();
    await assert.rejects(docker.getContainer(name).inspect());
    const result = await job;
    assert.notEqual(result.exitCode, 0);
  });

  test('a release artifact is refused with a hint', async () => {
    const rt = make();
    await assert.rejects(rt.start({ ...spec('app-web'), artifact: { kind: 'release', releaseDir: tmp } }), /runs images/);
  });
});
