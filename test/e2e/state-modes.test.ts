import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { wharfPaths } from '../../src/core/paths.js';
import { copyExample, startWharf, type Wharf } from '../helpers/wharf.js';

// Everything under the state folder is Wharf's alone: no group or other bits on any folder or
// file after a deploy (logs, sources, releases, the router's files, the databases), except the
// two folders a database's own user must pass through when Wharf runs as root (0711: enter,
// not list), and, as root, what lies inside a sealed release (releases/<instance>/<artifact>/…):
// read and execute for others, never write, because the service's own user reads those files
// through its working copy's hard links (docs/isolation.md). releases/ and releases/<instance>
// stay closed, so no one reaches a release by its path.

let wharf: Wharf;
let dir: string;

before(async () => {
  wharf = await startWharf();
  dir = await copyExample('node-web', wharf.home);
  // The example is copied into the state folder only to deploy it; it is not Wharf's state.
  assert.equal((await wharf.cli(['init', '--name', 'modes'], { cwd: dir })).code, 0);
  const up = await wharf.cli(['up'], { cwd: dir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  // A Postgres database (its own user when Wharf is root) with a base backup in backups/.
  const db = await wharf.cli(['add', 'postgres', '--name', 'db'], { cwd: dir });
  assert.equal(db.code, 0, db.stdout + db.stderr);
  const logs = await wharf.cli(['logs', '--build'], { cwd: dir });
  assert.equal(logs.code, 0, logs.stderr);
});
after(async () => {
  await wharf.cleanup();
});

async function* walk(root: string, skip: string): AsyncGenerator<{ file: string; mode: number; link: boolean }> {
  for (const name of await readdir(root)) {
    const file = path.join(root, name);
    if (file === skip) continue;
    let info;
    try {
      info = await lstat(file);
    } catch {
      continue; // removed while we walked (a rotated log, a finished temp file)
    }
    yield { file, mode: info.mode & 0o777, link: info.isSymbolicLink() };
    if (info.isDirectory()) yield* walk(file, skip);
  }
}

test('no file or folder under the state folder has group or other bits, but the database pass-throughs', async () => {
  const paths = wharfPaths(wharf.home);
  const root = process.getuid?.() === 0;
  // data/ and volumes/ let the databases' and apps' own users through to their folders.
  const passThrough = new Set([paths.home, paths.data, paths.volumes]);
  const open: string[] = [];
  const check = (file: string, mode: number) => {
    const inRelease = path.relative(paths.releases, file).split(path.sep);
    const sealed = root && inRelease[0] !== '..' && inRelease.length >= 2;
    const allowed = root && passThrough.has(file) ? 0o011 : sealed ? 0o055 : 0;
    if ((mode & 0o077 & ~allowed) !== 0) open.push(`${path.relative(wharf.home, file) || '.'} ${mode.toString(8)}`);
  };
  check(paths.home, (await lstat(paths.home)).mode & 0o777);
  for await (const entry of walk(wharf.home, dir)) {
    if (entry.link) continue; // a symlink's own mode is always 777 and grants nothing
    check(entry.file, entry.mode);
  }
  assert.deepEqual(open, []);
});
