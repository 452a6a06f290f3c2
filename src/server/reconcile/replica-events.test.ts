import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReplicaStatus } from '../../core/runtime.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { Keyring } from '../../shared/secrets/keyring.js';
import { Store } from '../store/store.js';
import { formatBytes, ReplicaEvents } from './replica-events.js';

// An OOM kill a driver reports becomes one service.oom event with the limit, however many
// passes see the same status; a second kill is a second event.

test('service.oom: once per kill, with the limit, severity error', (t) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-oom-'));
  const store = Store.open(path.join(tmp, 'wharf.db'), Keyring.load({ keyFile: path.join(tmp, 'secret.key') }));
  t.after(() => {
    store.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  const { project, environment } = store.projects.createProject('shop');
  const service = store.projects.createService(project.id, 'web', 'web');
  const instance = store.projects.findInstance(service.id, environment.id)!;
  const deployment = store.deployments.create({
    instanceId: instance.id, number: store.projects.takeDeploymentNumber(instance.id), trigger: 'up', sourceDigest: 'x', artifactId: null,
    config: DEFAULT_SETTINGS, variables: {}, secretKeys: [], warnings: [], rollbackOf: null,
  });
  store.deployments.setStatus(deployment.id, 'ACTIVE', 'live');
  store.projects.setActiveDeployment(instance.id, deployment.id);
  const replica = store.replicas.add({ id: 'rep_1', deploymentId: deployment.id, instanceId: instance.id, port: 3000 });
  store.replicas.switchRouting([replica.id], []);

  const events = new ReplicaEvents(store, 0);
  const status = (oomAt: string | null): ReplicaStatus => ({
    replicaId: replica.id, role: 'app', deploymentId: deployment.id, serviceInstanceId: instance.id, runtime: 'docker', port: 3000,
    endpoint: { host: '172.17.0.2', port: 3000 }, state: 'restarting', restarts: 1, exitCode: 137, exitSignal: null, startedAt: null,
    updatedAt: new Date().toISOString(), lastReason: 'killed for running out of memory',
    oomKilled: oomAt ? { limitBytes: 256 * 1024 * 1024, at: oomAt } : null,
  });
  events.observe([status(null)]);
  events.observe([status('2026-12-02T10:00:00.000Z')]);
  events.observe([status('2026-12-02T10:00:00.000Z')]);
  const oom = () => store.events.list({ projectId: project.id, kind: 'service.oom' });
  assert.equal(oom().length, 1);
  assert.equal(oom()[0]!.severity, 'error');
  assert.match(oom()[0]!.message, /^web \(production\): replica rep_1 was killed for running out of memory \(limit 256 MiB\)/);
  events.observe([status('2026-12-02T10:05:00.000Z')]);
  assert.equal(oom().length, 2);
});

test('formatBytes', () => {
  assert.equal(formatBytes(256 * 1024 * 1024), '256 MiB');
  assert.equal(formatBytes(1536 * 1024 * 1024), '1.5 GiB');
  assert.equal(formatBytes(512), '512 bytes');
});
