import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSpec } from '../../../core/runtime.js';
import { containerOptions } from './replica-container.js';

const spec: ReplicaSpec = {
  replicaId: 'db_1',
  role: 'database',
  deploymentId: null,
  serviceInstanceId: 'si_1',
  artifact: { kind: 'image', image: 'postgres:15', digest: 'sha256:abc' },
  command: ['postgres', '-D', '/var/lib/postgresql/data/pgdata'],
  env: { PGDATA: '/var/lib/postgresql/data/pgdata' },
  user: { uid: 999, gid: 999 },
  port: 5432,
  volumes: [{ name: 'db-db_1', mountPath: '/var/lib/postgresql/data' }],
  network: { name: 'wharf-p1-e1', aliases: ['db'] },
  restart: { policy: 'ALWAYS', maxRetries: 0 },
  liveness: null,
  stopGraceMs: 60_000,
  logFile: '/tmp/db.log',
  publish: { hostIp: '127.0.0.1', hostPort: 64999 },
};

test('a database container: its image by ID, no entrypoint, its volume, its name on the network, its port on 127.0.0.1 only', () => {
  const o = containerOptions(spec, { 'wharf.test': '1' });
  assert.equal(o.name, 'wharf-db_1');
  assert.equal(o.Image, 'sha256:abc');
  assert.deepEqual(o.Entrypoint, []);
  assert.equal(o.User, '999:999');
  assert.deepEqual(o.HostConfig?.Mounts, [{ Type: 'volume', Source: 'wharf-vol-db-db_1', Target: '/var/lib/postgresql/data' }]);
  assert.deepEqual(o.HostConfig?.PortBindings, { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '64999' }] });
  assert.deepEqual(o.NetworkingConfig?.EndpointsConfig?.['wharf-p1-e1']?.Aliases, ['db']);
  assert.equal(o.Labels?.['wharf.role'], 'database');
  assert.equal(o.Labels?.['wharf.deployment'], '');
  assert.equal(o.StopTimeout, 60);
});

test('without publish nothing is bound on the host', () => {
  const { publish: _, ...inner } = spec;
  assert.equal(containerOptions(inner, {}).HostConfig?.PortBindings, undefined);
});
