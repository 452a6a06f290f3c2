import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ReplicaSpec, ReplicaStatus, Runtime } from '../../src/core/runtime.js';
import { BackupService } from '../../src/server/databases/backups.js';
import { removeReplicaContainer, startReplicaContainer } from '../../src/server/databases/docker/replica-container.js';
import { DatabaseManager } from '../../src/server/databases/manager.js';
import { createPostgresProvider } from '../../src/server/databases/postgres/postgres-provider.js';
import { capture } from '../../src/server/databases/postgres/binaries.js';
import type { DeployContext } from '../../src/server/deploy/context.js';
import { serverOptionsFromEnv } from '../../src/server/options.js';
import { Store } from '../../src/server/store/store.js';
import { Keyring } from '../../src/shared/secrets/keyring.js';
import { engineMissing, imageMissing, TEST_LABELS, tools } from './databases-docker-helpers.js';

// The database manager and the backup service with WHARF_RUNTIME=docker, on a real engine: a
// Store on disk and a small runtime that starts database replicas as containers (what the docker
// runtime does with a ReplicaSpec of role 'database'). Provision → variables → backup → restore
// in place → verification in a scratch container → PITR into a new database → delete, with
// every volume accounted for.

const skip = (await engineMissing()) ?? (await imageMissing('postgres'));
const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent } as never;

const networks = new Set<string>();

async function ensureTestNetwork(name: string): Promise<void> {
  const docker = await tools.client();
  if (networks.has(name)) return;
  await docker.createNetwork({ Name: name, Labels: TEST_LABELS }).catch((error: { statusCode?: number }) => {
    if (error.statusCode !== 409) throw error;
  });
  networks.add(name);
}

/** start/stop/list/remove over containers labelled wharf.test=1; the rest is not reached here. */
function containerRuntime(): Runtime {
  const statusOf = (c: { Labels: Record<string, string>; State: string }): ReplicaStatus =>
    ({
      replicaId: c.Labels['wharf.replica']!,
      role: 'database',
      deploymentId: null,
      serviceInstanceId: c.Labels['wharf.instance']!,
      runtime: 'docker',
      port: null,
      endpoint: null,
      state: c.State === 'running' ? 'running' : 'exited',
      restarts: 0,
      exitCode: null,
      exitSignal: null,
      startedAt: null,
      updatedAt: new Date().toISOString(),
      lastReason: null,
    }) satisfies ReplicaStatus;
  const unused = () => Promise.reject(new Error('not used by the database manager'));
  return {
    name: 'docker',
    start: async (spec: ReplicaSpec) => {
      // The project network, as the docker runtime makes it before a container joins it.
      if (spec.network) await ensureTestNetwork(spec.network.name);
      await startReplicaContainer(await tools.client(), spec, TEST_LABELS);
      return statusOf({ Labels: { 'wharf.replica': spec.replicaId, 'wharf.instance': spec.serviceInstanceId }, State: 'running' });
    },
    stop: async (replicaId, { graceMs }) => {
      await (await tools.client()).getContainer(`wharf-${replicaId}`).stop({ t: Math.ceil(graceMs / 1000) }).catch(() => undefined);
    },
    list: async () => (await (await tools.client()).listContainers({ all: true, filters: { label: ['wharf.test=1', 'wharf.replica'] } })).map(statusOf),
    remove: async (replicaId) => removeReplicaContainer(await tools.client(), replicaId, 5_000),
    run: unused,
    stats: unused,
    exec: unused,
  };
}

async function psql(url: string, sql: string): Promise<string> {
  const u = new URL(url);
  const r = await capture(['psql', '-X', '-v', 'ON_ERROR_STOP=1', '-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), '-d', u.pathname.slice(1), '-At', '-c', sql], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSWORD: decodeURIComponent(u.password), PGSSLMODE: 'disable' },
    timeoutMs: 30_000,
  });
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout.trim();
}

describe('the database manager on docker', { skip: skip ?? false, timeout: 600_000 }, () => {
  let home: string;
  let store: Store;
  let manager: DatabaseManager;
  let backups: BackupService;
  const volumeExists = async (name: string) =>
    (await tools.client())
      .getVolume(`wharf-vol-${name}`)
      .inspect()
      .then(
        () => true,
        () => false,
      );

  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'wharf-dbmanager-'));
    const options = serverOptionsFromEnv({ WHARF_HOME: home, WHARF_RUNTIME: 'docker' });
    await mkdir(options.paths.home, { recursive: true });
    store = Store.open(options.paths.database, Keyring.load({ keyFile: options.paths.secretKey }));
    const ctx = { store, runtime: containerRuntime(), options, logger: silent } as unknown as DeployContext;
    manager = new DatabaseManager(ctx, { postgres: createPostgresProvider({ docker: tools }) }, tools);
    backups = new BackupService(manager);
  });
  after(async () => {
    for (const record of store?.databases.all() ?? []) await manager.destroy(record).catch(() => undefined);
    store?.close();
    const docker = await tools.client();
    for (const name of networks) await docker.getNetwork(name).remove().catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  });

  test('provision, back up, restore, verify, recover to a time, delete', async () => {
    const { project, environment } = store.projects.createProject('dbs');
    const service = store.projects.createService(project.id, 'db', 'database');
    const ctxOf = (serviceId: string) => store.projects.describeInstance(store.projects.findInstance(serviceId, environment.id)!.id);
    const record = await manager.provision(ctxOf(service.id), 'postgres');
    assert.equal(record.status, 'READY');
    const spec = manager.spec(record);
    assert.equal(spec.runtime, 'docker');
    assert.ok(await volumeExists(`db-${record.id}`));
    const vars = manager.variablesOf(record.instanceId)!;
    assert.match(vars.DATABASE_URL!, /@db:5432\//);
    const url = vars.DATABASE_PUBLIC_URL!;
    const migration = manager.migrationVariables(record.instanceId);
    assert.deepEqual(migration, {}); // nothing references db yet
    const migrationUrl = createPostgresProvider().migrationVariables(spec).DATABASE_MIGRATION_URL!.replace('@db:5432/', `@127.0.0.1:${spec.port}/`);
    await psql(migrationUrl, 'CREATE TABLE items (id serial PRIMARY KEY, name text)');
    await psql(url, "INSERT INTO items (name) VALUES ('a'), ('b')");

    const backup = await backups.backup(record, 'manual');
    assert.equal(backup.status, 'SUCCEEDED');
    await psql(url, 'DELETE FROM items');
    await backups.restoreInPlace(record, backup);
    assert.equal(await psql(url, 'SELECT count(*) FROM items'), '2');

    // Verification in a scratch container whose volume goes with it.
    assert.deepEqual(await backups.verify(backup), { 'public.items': 2 });
    const leftovers = await (await tools.client()).listVolumes({ filters: { name: ['wharf-vol-db-verify_'] } });
    assert.deepEqual((leftovers.Volumes ?? []).map((v) => v.Name), []);

    // PITR through the service: base backup, a moment between two writes, a new database.
    await backups.baseBackup(record);
    await psql(url, "INSERT INTO items (name) VALUES ('before')");
    await new Promise((r) => setTimeout(r, 1100));
    const moment = new Date();
    await new Promise((r) => setTimeout(r, 1100));
    await psql(url, "INSERT INTO items (name) VALUES ('after')");
    const copyService = store.projects.createService(project.id, 'db_at', 'database');
    const restored = await backups.restoreToTime(record, moment, ctxOf(copyService.id));
    assert.equal(manager.spec(restored).runtime, 'docker');
    const restoredUrl = manager.variablesOf(restored.instanceId)!.DATABASE_PUBLIC_URL!;
    assert.equal(await psql(restoredUrl, 'SELECT string_agg(name, \',\' ORDER BY id) FROM items'), 'a,b,before');

    // Delete: the server and its volume go.
    await manager.destroy(restored);
    assert.equal(await volumeExists(`db-${restored.id}`), false);
    assert.ok(await volumeExists(`db-${record.id}`));
  });
});
