import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { wharfPaths } from '../../src/core/paths.js';
import { stopRouter } from '../../src/router/launch.js';
import { ProcessRuntime } from '../../src/server/runtimes/process/process-runtime.js';
import { startWharf, type Wharf } from '../helpers/wharf.js';

// Root on a server with nothing preset: HOME is a 0700 folder (as /root is) and WHARF_HOME is
// not set. The state goes to root's default (/var/lib/wharf, moved under a temp prefix here by
// WHARF_SYSTEM_DIR so the test never touches the real one), where the postgres user can reach
// its data directory, and `wharf add postgres` works. The CLI finds its token there too.

const asRoot = process.getuid?.() === 0;
let prefix: string;
let userHome: string;
let systemDir: string;
let wharf: Wharf | undefined;

before(async () => {
  if (!asRoot) return;
  prefix = await mkdtemp(path.join(os.tmpdir(), 'wharf-root-'));
  await chmod(prefix, 0o755); // as / and /var/lib are
  userHome = path.join(prefix, 'root');
  await mkdir(userHome, { mode: 0o700 });
  await chmod(userHome, 0o700);
  systemDir = path.join(prefix, 'var-lib-wharf');
  wharf = await startWharf({ HOME: userHome, WHARF_HOME: '', WHARF_SYSTEM_DIR: systemDir });
});

after(async () => {
  if (!asRoot) return;
  // The helper cleans its own temp home; the state this server kept is under the prefix.
  await wharf?.cleanup();
  const paths = wharfPaths(systemDir);
  const runtime = new ProcessRuntime({ replicasDir: paths.replicas, work: { appsDir: paths.apps, mode: 'link' } });
  for (const replica of await runtime.list()) {
    await runtime.stop(replica.replicaId, { graceMs: 0 });
    await runtime.remove(replica.replicaId);
  }
  await stopRouter(paths, 5_000);
  await rm(prefix, { recursive: true, force: true });
});

function psql(url: string, sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`psql: ${stderr || error.message}`)) : resolve(stdout.trim()),
    );
  });
}

test('as root with a 0700 HOME and no WHARF_HOME, wharf add postgres gives a database that answers', { skip: !asRoot && 'needs root' }, async () => {
  const w = wharf!;
  const dir = path.join(prefix, 'app');
  await mkdir(dir);
  const init = await w.cli(['init', '--name', 'vps'], { cwd: dir });
  assert.equal(init.code, 0, init.stdout + init.stderr);
  assert.ok(existsSync(path.join(systemDir, 'wharf.db')), 'the state is in the system folder');
  assert.ok(existsSync(path.join(systemDir, 'config.json')), "the CLI's token is beside it");
  assert.ok(!existsSync(path.join(userHome, '.wharf')), 'nothing went to ~/.wharf');

  const add = await w.cli(['add', 'postgres', '--name', 'db'], { cwd: dir, timeoutMs: 180_000 });
  assert.equal(add.code, 0, add.stdout + add.stderr);
  assert.match(add.stdout, /postgres database 'db' is ready/);
  const url = await w.cli(['db', 'url', 'db'], { cwd: dir });
  assert.equal(url.code, 0, url.stderr);
  assert.equal(await psql(url.stdout.trim(), 'SELECT 40 + 2'), '42');
});
