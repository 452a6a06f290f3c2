import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseWharfToml } from '../../shared/config/wharf-toml.js';
import { Keyring } from '../../shared/secrets/keyring.js';
import { applyEnvironment } from '../apply/apply.js';
import { desiredEnvironment } from '../apply/desired.js';
import { serverOptionsFromEnv } from '../options.js';
import { Store } from '../store/store.js';
import { dockerWanted, runtimeFor } from './select.js';

// Which runtime an instance uses: the project's (from its project file), else WHARF_RUNTIME.

test('runtimeFor: the project file\'s runtime, applied to the project, wins over WHARF_RUNTIME; absent keeps it', (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'wharf-select-'));
  const store = Store.open(path.join(home, 'wharf.db'), Keyring.load({ keyFile: path.join(home, 'secret.key') }));
  t.after(() => {
    store.close();
    rmSync(home, { recursive: true, force: true });
  });
  const options = serverOptionsFromEnv({ WHARF_HOME: home });
  const { project } = store.projects.createProject('shop');
  const apply = (toml: string) => {
    const desired = desiredEnvironment(parseWharfToml('wharf.toml', toml).spec, 'production');
    return applyEnvironment({ store, options }, store.projects.getProject(project.id), 'production', desired);
  };
  apply('[services.web]\nstartCommand = "node s.js"\n');
  const web = store.projects.findInstance(store.projects.findService(project.id, 'web')!.id, store.projects.findEnvironment(project.id, 'production')!.id)!;
  assert.equal(runtimeFor({ store, options }, web.id), 'process');
  assert.equal(runtimeFor({ store, options: { runtime: 'docker' } }, web.id), 'docker', 'WHARF_RUNTIME when the project names none');
  assert.equal(dockerWanted(store, options), false);

  const plan = apply('runtime = "docker"\n[services.web]\nstartCommand = "node s.js"\n');
  assert.ok(plan.changes.some((c) => c.target === 'project runtime' && c.after === '"docker"'), JSON.stringify(plan.changes));
  assert.equal(store.projects.getProject(project.id).runtime, 'docker');
  assert.equal(runtimeFor({ store, options }, web.id), 'docker');
  assert.equal(dockerWanted(store, options), true);

  apply('[services.web]\nstartCommand = "node s.js"\n');
  assert.equal(runtimeFor({ store, options }, web.id), 'docker', 'a file without the key leaves the project as it is');
  apply('runtime = "process"\n');
  assert.equal(runtimeFor({ store, options: { runtime: 'docker' } }, web.id), 'process');
});
