import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { Keyring } from '../../shared/secrets/keyring.js';
import { serverOptionsFromEnv } from '../options.js';
import { Store } from '../store/store.js';
import { dependencyOrder } from '../variables/references.js';
import { deployWaves } from './deploy-order.js';

const input = (services: Record<string, Record<string, string>>) => ({ services, shared: {}, platform: Object.fromEntries(Object.keys(services).map((s) => [s, { PORT: '1' }])) });

test('dependsOn edges join the reference waves; unknown names and self-edges are ignored; a cycle shares a wave', () => {
  const services = { web: { API: '${{api.PORT}}' }, api: {}, worker: {}, db: {} };
  assert.deepEqual(dependencyOrder(input(services)), [['api', 'db', 'worker'], ['web']]);
  assert.deepEqual(dependencyOrder(input(services), new Map([['api', ['db']], ['worker', ['web', 'ghost', 'worker']]])), [['db'], ['api'], ['web'], ['worker']]);
  assert.deepEqual(dependencyOrder(input({ a: {}, b: {} }), new Map([['a', ['b']], ['b', ['a']]])), [['a', 'b']]);
});

test('deployWaves reads dependsOn from the settings of each service in the environment', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-order-'));
  const store = Store.open(path.join(home, 'wharf.db'), Keyring.load({ keyFile: path.join(home, 'secret.key') }));
  try {
    const options = serverOptionsFromEnv({ WHARF_HOME: home });
    const { project, environment } = store.projects.createProject('stack');
    for (const name of ['web', 'api', 'cache']) store.projects.createService(project.id, name, 'web');
    const set = (name: string, dependsOn: string[]) => {
      const service = store.projects.findService(project.id, name)!;
      store.projects.updateSettings(store.projects.findInstance(service.id, environment.id)!.id, { ...DEFAULT_SETTINGS, dependsOn });
    };
    set('web', ['api']);
    set('api', ['cache']);
    assert.deepEqual(deployWaves({ store, options }, environment.id), [['cache'], ['api'], ['web']]);
  } finally {
    store.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
});
