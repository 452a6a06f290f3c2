import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isWharfError } from '../../core/errors.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { Keyring } from '../../shared/secrets/keyring.js';
import { placementOf } from '../deploy/placement.js';
import { serverOptionsFromEnv } from '../options.js';
import { Store } from '../store/store.js';
import { volumeFolder } from './folder.js';
import { KEEP_BACKUPS, VolumeService } from './volume-service.js';

test('process runtime: list with sizes, backup, restore after a safety backup, retention, removal with the instance', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-volsvc-'));
  const store = Store.open(path.join(home, 'wharf.db'), Keyring.load({ keyFile: path.join(home, 'secret.key') }));
  try {
    const options = serverOptionsFromEnv({ WHARF_HOME: home });
    const { project, environment } = store.projects.createProject('notes');
    const service = store.projects.createService(project.id, 'api', 'web');
    const instance = store.projects.findInstance(service.id, environment.id)!;
    store.projects.updateSettings(instance.id, { ...DEFAULT_SETTINGS, volumes: [{ name: 'data', mountPath: '/data', sizeGB: 1 }] });
    const volumes = new VolumeService({ store, options });
    assert.deepEqual(await volumes.list(environment.id), [], 'a volume exists once its instance is placed');

    const mount = placementOf({ store, options }, instance.id).volumes![0]!;
    const folder = volumeFolder(home, mount.name);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'notes.db'), 'v1');
    const [listed] = await volumes.list(environment.id);
    assert.deepEqual({ ...listed, createdAt: undefined }, { name: mount.name, service: 'api', volume: 'data', mountPath: '/data', runtime: 'process', sizeBytes: 2, sizeGB: 1, attached: true, createdAt: undefined, backups: 0 });

    for (const given of [mount.name, 'api', 'data', 'api/data']) assert.equal(volumes.find(environment.id, given).name, mount.name, given);
    assert.throws(() => volumes.find(environment.id, 'nope'), (e) => isWharfError(e) && e.code === 'NOT_FOUND');

    const record = volumes.find(environment.id, 'api');
    await assert.rejects(volumes.restore(record), (e) => isWharfError(e) && e.code === 'NOT_FOUND');
    const first = await volumes.backup(record);
    assert.ok(fs.existsSync(path.join(home, 'backups', 'volumes', mount.name, `${first.id}.tar.gz`)));
    fs.writeFileSync(path.join(folder, 'notes.db'), 'v2 after the backup');
    const { restored, safety } = await volumes.restore(record);
    assert.equal(restored.id, first.id);
    assert.equal(fs.readFileSync(path.join(folder, 'notes.db'), 'utf8'), 'v1');
    await volumes.restore(record, safety.id);
    assert.equal(fs.readFileSync(path.join(folder, 'notes.db'), 'utf8'), 'v2 after the backup', 'the safety backup holds what was replaced');

    for (let i = 0; i < KEEP_BACKUPS + 2; i++) {
      await volumes.backup(record);
      await new Promise((r) => setTimeout(r, 2)); // ids are millisecond times
    }
    assert.equal((await volumes.backups(record)).length, KEEP_BACKUPS);

    await volumes.removeForInstance(instance.id);
    assert.equal(fs.existsSync(folder), false);
    assert.equal(fs.existsSync(path.join(home, 'backups', 'volumes', mount.name)), false);
    assert.deepEqual(await volumes.list(environment.id), []);
  } finally {
    store.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
});
