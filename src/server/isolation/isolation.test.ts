import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { wharfPaths } from '../../core/paths.js';
import { Store } from '../store/store.js';
import { Keyring } from '../../shared/secrets/keyring.js';
import { appUserFor, isolationOptionsFromEnv, isolationWarnings, type IsolationOptions } from './isolation.js';

test('WHARF_APPS_DIR must be outside the state folder; the uid range is checked', () => {
  const paths = wharfPaths('/srv/wharf');
  assert.equal(isolationOptionsFromEnv(paths, {}).appsDir, path.resolve(paths.apps));
  assert.throws(() => isolationOptionsFromEnv({ ...paths, apps: '/srv/wharf/apps' }, {}), /outside the state folder/);
  assert.throws(() => isolationOptionsFromEnv(paths, { WHARF_APP_UID_BASE: '0' }), /WHARF_APP_UID_BASE/);
  assert.throws(() => isolationOptionsFromEnv(paths, { WHARF_WORKDIR_MODE: 'overlay' }), /link or copy/);
});

test('an unprivileged Wharf says what it cannot guarantee; a closed parent of the apps folder is named', () => {
  const base: IsolationOptions = { enabled: false, uidBase: 200_000, uidCount: 10, appsDir: '/tmp/x-apps', workCopy: 'link' };
  assert.match(isolationWarnings(base).join('\n'), /not running as root.*state folder/s);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-isolation-'));
  try {
    fs.chmodSync(tmp, 0o700);
    assert.deepEqual(isolationWarnings({ ...base, enabled: true, appsDir: '/tmp/x-apps' }), []);
    assert.match(isolationWarnings({ ...base, enabled: true, appsDir: path.join(tmp, 'apps') }).join(''), new RegExp(`${tmp} is closed.*WHARF_APPS_DIR`));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('each instance keeps one uid of the range; none is given twice; an exhausted range is a clear error', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-isolation-'));
  const store = Store.open(path.join(tmp, 'wharf.db'), Keyring.load({ keyFile: path.join(tmp, 'secret.key') }));
  try {
    const options = { isolation: { enabled: true, uidBase: 300_000, uidCount: 2, appsDir: '/tmp/x', workCopy: 'link' as const } };
    const a = appUserFor({ store, options }, 'si_a');
    const b = appUserFor({ store, options }, 'si_b');
    assert.deepEqual(a, { uid: 300_000, gid: 300_000 });
    assert.deepEqual(b, { uid: 300_001, gid: 300_001 });
    assert.deepEqual(appUserFor({ store, options }, 'si_a'), a, 'stable');
    assert.throws(() => appUserFor({ store, options }, 'si_c'), /no app user left/);
    assert.equal(appUserFor({ store, options: { isolation: { ...options.isolation, enabled: false } } }, 'si_a'), null);
  } finally {
    store.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
