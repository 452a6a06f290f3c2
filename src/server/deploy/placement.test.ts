import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, serviceSettingsSchema, type ServiceSettings } from '../../core/settings.js';
import { Keyring } from '../../shared/secrets/keyring.js';
import { serverOptionsFromEnv, type ServerOptions } from '../options.js';
import { Store } from '../store/store.js';
import { volumeFolder } from '../volumes/folder.js';
import { VolumeRepository } from '../volumes/volume-store.js';
import { limitsOf, networkName, placementOf } from './placement.js';
import { platformVariables } from './platform-variables.js';
import { environmentScope } from './variables-snapshot.js';
import { resolveAll } from '../variables/references.js';

function setup() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-placement-'));
  const store = Store.open(path.join(home, 'wharf.db'), Keyring.load({ keyFile: path.join(home, 'secret.key') }));
  const options = serverOptionsFromEnv({ WHARF_HOME: home });
  const { project, environment } = store.projects.createProject('shop');
  const service = store.projects.createService(project.id, 'api', 'web');
  const instance = store.projects.findInstance(service.id, environment.id)!;
  const settle = (patch: Partial<ServiceSettings>) => store.projects.updateSettings(instance.id, serviceSettingsSchema.parse({ ...DEFAULT_SETTINGS, ...patch }));
  const done = () => {
    store.close();
    fs.rmSync(home, { recursive: true, force: true });
  };
  return { home, store, options, project, environment, instance, settle, done };
}

test('placementOf: the project network with the service aliases, volumes named <instance>-<volume>, limits', () => {
  const t = setup();
  try {
    assert.deepEqual(placementOf(t, t.instance.id), {
      network: { name: `wharf-${t.project.id}-${t.environment.id}`, aliases: ['api', 'api.railway.internal'] },
    });
    t.settle({ volumes: [{ name: 'data', mountPath: '/data' }], memoryLimit: '512M', cpuLimit: '0.5' });
    const placement = placementOf(t, t.instance.id);
    assert.deepEqual(placement.volumes, [{ name: `${t.instance.id}-data`, mountPath: '/data' }]);
    assert.deepEqual(placement.limits, { memoryBytes: 512 * 1024 ** 2, cpus: 0.5 });
  } finally {
    t.done();
  }
});

test('a volume is recorded once and kept when the settings drop it; a new mount path is updated', () => {
  const t = setup();
  try {
    const repo = new VolumeRepository(t.store.db);
    t.settle({ volumes: [{ name: 'data', mountPath: '/data' }] });
    placementOf(t, t.instance.id);
    const first = repo.forInstance(t.instance.id)[0]!;
    t.settle({ volumes: [{ name: 'data', mountPath: '/srv/data' }] });
    placementOf(t, t.instance.id);
    assert.deepEqual(repo.forInstance(t.instance.id).map((v) => [v.name, v.mountPath, v.createdAt]), [[first.name, '/srv/data', first.createdAt]]);
    t.settle({ volumes: [] });
    assert.equal(placementOf(t, t.instance.id).volumes, undefined);
    assert.equal(repo.forInstance(t.instance.id).length, 1, 'the volume (and its data) stays until the service goes');
  } finally {
    t.done();
  }
});

test('network names are Docker names; limits parse or are absent', () => {
  assert.equal(networkName('prj_0a1b', 'env_FF00'), 'wharf-prj_0a1b-env_ff00');
  assert.equal(limitsOf({ memoryLimit: null, cpuLimit: null }), null);
  assert.deepEqual(limitsOf({ memoryLimit: '1Gi', cpuLimit: null }), { memoryBytes: 1024 ** 3 });
  assert.deepEqual(limitsOf({ memoryLimit: 268435456, cpuLimit: 2 }), { memoryBytes: 268435456, cpus: 2 });
});

test('private domain and volume path per runtime: the alias on docker, 127.0.0.1 and the folder on the process runtime', () => {
  const t = setup();
  try {
    t.settle({ volumes: [{ name: 'data', mountPath: '/data' }] });
    t.store.db.prepare('UPDATE service_instances SET private_port = 20001 WHERE id = ?').run(t.instance.id);
    const ctx = t.store.projects.describeInstance(t.instance.id);
    const onProcess = platformVariables(t.options, ctx, 'dep_1');
    assert.equal(onProcess.RAILWAY_PRIVATE_DOMAIN, '127.0.0.1');
    assert.equal(onProcess.RAILWAY_PRIVATE_URL, 'http://127.0.0.1:20001');
    assert.equal(onProcess.RAILWAY_VOLUME_NAME, 'data');
    assert.equal(onProcess.RAILWAY_VOLUME_MOUNT_PATH, volumeFolder(t.home, `${t.instance.id}-data`));
    const docker = { ...t.options, runtime: 'docker' } as ServerOptions;
    const onDocker = platformVariables(docker, ctx, 'dep_1');
    assert.equal(onDocker.RAILWAY_PRIVATE_DOMAIN, 'api.railway.internal');
    assert.equal(onDocker.RAILWAY_PRIVATE_URL, 'http://api.railway.internal:20001');
    assert.equal(onDocker.RAILWAY_VOLUME_MOUNT_PATH, '/data');
  } finally {
    t.done();
  }
});

test('${{api.RAILWAY_PRIVATE_DOMAIN}} resolves to the alias on docker and to 127.0.0.1 on the process runtime', () => {
  const t = setup();
  try {
    const web = t.store.projects.createService(t.project.id, 'web', 'web');
    t.store.variables.set(t.environment.id, web.id, [{ key: 'API', value: 'http://${{api.RAILWAY_PRIVATE_DOMAIN}}:${{api.PORT}}' }]);
    t.store.db.prepare('UPDATE service_instances SET private_port = 20002 WHERE id = ?').run(t.instance.id);
    const resolve = (options: ServerOptions) => resolveAll(environmentScope({ store: t.store, options }, t.environment.id).input).values.web!.API;
    assert.equal(resolve(t.options), 'http://127.0.0.1:20002');
    assert.equal(resolve({ ...t.options, runtime: 'docker' } as ServerOptions), 'http://api.railway.internal:20002');
  } finally {
    t.done();
  }
});
