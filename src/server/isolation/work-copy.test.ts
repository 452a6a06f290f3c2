import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeWorkCopy, sealRelease } from './work-copy.js';

// A working copy reads the release's bytes and writes only to itself, as root for an app user
// and as an unprivileged Wharf alike.

const root = process.getuid?.() === 0;
const user = root ? { uid: 299_998, gid: 299_998 } : null;

function release(): { dir: string; tmp: string } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-work-copy-'));
  const dir = path.join(tmp, 'release');
  fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'server.js'), 'built');
  fs.writeFileSync(path.join(dir, 'lib', 'shared.txt'), 'shared', { mode: 0o666 });
  fs.chmodSync(path.join(dir, 'lib', 'shared.txt'), 0o666);
  fs.symlinkSync('server.js', path.join(dir, 'main.js'));
  return { dir, tmp };
}

/** `sh -c script` in `cwd` as the app user (or as ourselves): the exit code. */
function asApp(cwd: string, script: string): number {
  const result = spawnSync('sh', ['-c', script], { cwd, ...(user ? { uid: user.uid, gid: user.gid } : {}) });
  return result.status ?? -1;
}

for (const mode of ['link', 'copy'] as const) {
  test(`${mode}: the app writes its copy, never the release`, async () => {
    const { dir, tmp } = release();
    try {
      await sealRelease(dir);
      const work = path.join(tmp, 'work');
      await makeWorkCopy(dir, work, { mode, user });
      assert.equal(fs.readFileSync(path.join(work, 'server.js'), 'utf8'), 'built');
      assert.equal(fs.readlinkSync(path.join(work, 'main.js')), 'server.js');
      assert.equal(fs.statSync(work).mode & 0o777, 0o700);
      if (user) assert.equal(fs.statSync(path.join(work, 'lib')).uid, user.uid);
      assert.equal(asApp(work, 'echo new > x && echo deeper > lib/y && rm server.js && echo mine > server.js'), 0, 'the app writes where it likes in its copy');
      asApp(work, 'echo tampered >> lib/shared.txt; exit 0');
      assert.equal(fs.readFileSync(path.join(dir, 'server.js'), 'utf8'), 'built');
      assert.equal(fs.readFileSync(path.join(dir, 'lib', 'shared.txt'), 'utf8'), 'shared', 'a file the app could write was not linked');
      assert.ok(!fs.existsSync(path.join(dir, 'x')));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test('link: a shipped file cannot be changed in place through its link', async () => {
  const { dir, tmp } = release();
  try {
    await sealRelease(dir);
    const work = path.join(tmp, 'work');
    await makeWorkCopy(dir, work, { mode: 'link', user });
    assert.notEqual(asApp(work, 'echo tampered >> server.js'), 0);
    assert.equal(fs.readFileSync(path.join(dir, 'server.js'), 'utf8'), 'built');
    assert.equal(fs.statSync(path.join(work, 'server.js')).ino, fs.statSync(path.join(dir, 'server.js')).ino, 'no bytes were copied');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
