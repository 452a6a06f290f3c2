import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { wharfPaths } from '../core/paths.js';
import { prepareHome } from './home.js';

const asRoot = process.getuid?.() === 0;

test('as root, a home inside a folder others cannot enter (an older /root/.wharf) is named with the chmod to run', { skip: !asRoot && 'needs root' }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-home-'));
  try {
    await chmod(dir, 0o755);
    const closed = path.join(dir, 'root');
    await mkdir(closed, { mode: 0o700 });
    await chmod(closed, 0o700);
    const [warning, ...rest] = prepareHome(wharfPaths(path.join(closed, '.wharf')));
    assert.equal(rest.length, 0);
    assert.match(warning ?? '', new RegExp(`inside ${closed} \\(mode 0700\\)`));
    assert.match(warning ?? '', new RegExp(`chmod o\\+x ${closed}`));
    assert.equal((await stat(path.join(closed, '.wharf'))).mode & 0o777, 0o711, 'the home itself may be entered');

    await chmod(closed, 0o711);
    assert.deepEqual(prepareHome(wharfPaths(path.join(closed, '.wharf'))), [], 'nothing to say once Postgres can pass');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
