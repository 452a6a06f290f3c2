import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DeploymentView, LogLineView } from '../../src/core/api.js';
import { copyExample, parseJson, REPO, startWharf, succeeded, waitFor, type Wharf } from '../helpers/wharf.js';

// Kept builds (rollback never rebuilds, so only kept ones can be rolled back to) and
// `wharf logs -f` following a service across a redeploy.

let wharf: Wharf;
let dir: string;

before(async () => {
  wharf = await startWharf({ WHARF_KEEP_ARTIFACTS: '2' });
  dir = await copyExample('node-web', wharf.home);
  assert.equal((await wharf.cli(['init', '--name', 'keep'], { cwd: dir })).code, 0);
  for (let i = 1; i <= 3; i++) {
    succeeded(await wharf.cli(['variables', '--skip-deploy', '--set', `APP_VERSION=${i}`], { cwd: dir }));
    const run = await wharf.cli(i === 1 ? ['up'] : ['redeploy'], { cwd: dir });
    assert.equal(run.code, 0, run.stdout + run.stderr);
  }
});
after(async () => {
  await wharf.cleanup();
});

test('only the newest builds are kept; an older deployment cannot be rolled back to, with a clear error', async () => {
  const instanceDirs = await readdir(path.join(wharf.home, 'releases'));
  assert.equal(instanceDirs.length, 1);
  const releases = (await readdir(path.join(wharf.home, 'releases', instanceDirs[0]!))).filter((d) => !d.startsWith('.'));
  assert.equal(releases.length, 2);
  const list = parseJson<DeploymentView[]>(await wharf.cli(['deployments', '--json'], { cwd: dir }));
  assert.deepEqual(list.map((d) => [d.number, d.canRollback]), [[3, true], [2, true], [1, false]]);
  const refused = await wharf.cli(['rollback', '1'], { cwd: dir });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /deployment #1 has no kept build/);
  assert.match(refused.stderr, /hint:/);
  const ok = await wharf.cli(['rollback', '2'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
});

test('logs -f streams the live deployment and follows it across a redeploy', async (t) => {
  const follower = spawn(process.execPath, [path.join(REPO, 'bin/wharf.js'), 'logs', '-f', '--json'], { cwd: dir, env: wharf.env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => follower.kill('SIGKILL'));
  const lines: LogLineView[] = [];
  let buffer = '';
  follower.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffer.slice(0, nl)) as LogLineView);
      buffer = buffer.slice(nl + 1);
    }
  });
  await waitFor(() => lines.some((l) => /listening on port/.test(l.m)), { timeoutMs: 10_000, what: 'the current replica’s lines' });
  const before = new Set(lines.map((l) => l.replica));
  succeeded(await wharf.cli(['variables', '--skip-deploy', '--set', 'APP_VERSION=9'], { cwd: dir }));
  const redeploy = await wharf.cli(['redeploy'], { cwd: dir });
  assert.equal(redeploy.code, 0, redeploy.stderr);
  await waitFor(() => lines.some((l) => /node-web 9 listening/.test(l.m) && !before.has(l.replica)), { timeoutMs: 15_000, what: 'the new replica’s lines in the same stream' });
  assert.equal(follower.exitCode, null, 'still following');
});
