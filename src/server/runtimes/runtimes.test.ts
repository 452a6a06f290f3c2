import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecSpec, JobSpec, ReplicaSpec, ReplicaStatus, Runtime } from '../../core/runtime.js';
import { Runtimes } from './runtimes.js';
import { loadDockerRuntime, runtimeFromEnv } from './select.js';

// The composite routes by artifact and by who lists a replica. A hand-written fake is enough
// here: the drivers themselves are tested through runtime.contract.ts.

function fakeDriver(name: 'process' | 'docker', calls: string[]): Runtime {
  const replicas = new Map<string, ReplicaStatus>();
  const status = (spec: ReplicaSpec): ReplicaStatus => ({
    replicaId: spec.replicaId, role: spec.role, deploymentId: spec.deploymentId, serviceInstanceId: spec.serviceInstanceId, runtime: name,
    port: spec.port, endpoint: null, state: 'running', restarts: 0, exitCode: null, exitSignal: null, startedAt: null, updatedAt: '', lastReason: null,
  });
  return {
    name,
    start: async (spec) => (calls.push(`${name}.start ${spec.replicaId}`), replicas.set(spec.replicaId, status(spec)), status(spec)),
    stop: async (id) => void calls.push(`${name}.stop ${id}`),
    list: async () => [...replicas.values()],
    remove: async (id) => (calls.push(`${name}.remove ${id}`), void replicas.delete(id)),
    run: async (job: JobSpec) => (calls.push(`${name}.run ${job.jobId}`), { jobId: job.jobId, exitCode: 0, signal: null, timedOut: false, cancelled: false, startedAt: '', endedAt: '' }),
    stats: async (ids) => (calls.push(`${name}.stats ${ids?.join(',') ?? '*'}`), []),
    exec: async (spec: ExecSpec) => {
      calls.push(`${name}.exec ${spec.execId}`);
      throw new Error('not here');
    },
    removeArtifact: async (ref) => void calls.push(`${name}.removeArtifact ${ref.kind}`),
  };
}

const replica = (replicaId: string, image: boolean): ReplicaSpec => ({
  replicaId, role: 'app', deploymentId: 'd', serviceInstanceId: 'i',
  artifact: image ? { kind: 'image', image: 'wharf/i:a', digest: 'sha256:1' } : { kind: 'release', releaseDir: '/r' },
  command: ['x'], env: {}, port: null, restart: { policy: 'NEVER', maxRetries: 0 }, liveness: null, stopGraceMs: 0, logFile: '/dev/null',
});

test('Runtimes: start/run by artifact, stop/remove/stats by owner, list merged, docker loaded once on first need', async () => {
  const calls: string[] = [];
  let loads = 0;
  const runtimes = new Runtimes({ process: fakeDriver('process', calls), docker: async () => (loads++, fakeDriver('docker', calls)) });
  assert.equal(runtimes.loaded().length, 1, 'docker is not loaded until something needs it');
  await runtimes.start(replica('p1', false));
  await Promise.all([runtimes.start(replica('d1', true)), runtimes.start(replica('d2', true))]);
  assert.equal(loads, 1);
  assert.deepEqual((await runtimes.list()).map((s) => `${s.runtime}:${s.replicaId}`).sort(), ['docker:d1', 'docker:d2', 'process:p1']);
  await runtimes.stop('d1', { graceMs: 0 });
  await runtimes.remove('p1');
  await runtimes.stats(['d2', 'p1', 'unknown']);
  await runtimes.run({ jobId: 'j1', artifact: { kind: 'image', image: 'x', digest: 'y' }, command: [], env: {}, logFile: '/dev/null', timeoutMs: 1 });
  await runtimes.removeArtifact({ kind: 'image', image: 'x', digest: 'y' });
  assert.deepEqual(calls, [
    'process.start p1', 'docker.start d1', 'docker.start d2', 'docker.stop d1', 'process.remove p1', 'docker.stats d2', 'docker.run j1', 'docker.removeArtifact image',
  ]);
});

test('Runtimes: without a docker loader an image is a clear error; a failed load is retried', async () => {
  const none = new Runtimes({ process: fakeDriver('process', []) });
  await assert.rejects(none.start(replica('d1', true)), /docker runtime is not available/);
  let attempts = 0;
  const flaky = new Runtimes({
    process: fakeDriver('process', []),
    docker: async () => {
      attempts++;
      if (attempts === 1) throw new Error('engine down');
      return fakeDriver('docker', []);
    },
  });
  await assert.rejects(flaky.start(replica('d1', true)), /engine down/);
  await flaky.start(replica('d1', true));
  assert.equal(attempts, 2);
});

test('runtimeFromEnv: process by default, docker when asked, anything else refused', () => {
  assert.equal(runtimeFromEnv({}), 'process');
  assert.equal(runtimeFromEnv({ WHARF_RUNTIME: 'docker' }), 'docker');
  assert.throws(() => runtimeFromEnv({ WHARF_RUNTIME: 'podman' }), /WHARF_RUNTIME must be one of process, docker/);
});

test('loadDockerRuntime: the driver loads without reaching the engine (it is asked only when used)', async () => {
  const driver = await loadDockerRuntime({ host: 'unix:///nonexistent.sock', home: '/nonexistent' });
  assert.equal(driver.name, 'docker');
  await assert.rejects(driver.list(), (error: Error) => error.message.length > 0);
});
