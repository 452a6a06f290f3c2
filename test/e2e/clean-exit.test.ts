import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DeploymentView, ServiceStatusView } from '../../src/core/api.js';
import { parseJson, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// An app that exits 0 under ON_FAILURE has finished its work: the deployment is EXITED and
// service.exited is recorded, not CRASHED with a crash alert ("the restart policy gave up").

let wharf: Wharf;
let dir: string;
let flagDir: string;

// A worker that runs until told it is done, then exits 0.
const WORKER_JS = `const fs = require('node:fs');
console.log('working');
setInterval(() => {
  if (fs.existsSync(process.env.DONE_FILE)) {
    console.log('work done');
    process.exit(0);
  }
}, 100);
`;

before(async () => {
  wharf = await startWharf();
  flagDir = await mkdtemp(path.join(os.tmpdir(), 'wharf-flags-'));
  await chmod(flagDir, 0o755);
  dir = path.join(wharf.home, 'src-once');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'worker.js'), WORKER_JS);
  const start = `DONE_FILE=${path.join(flagDir, 'done')} node worker.js`;
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'once', version: '1.0.0', private: true, scripts: { start } }, null, 2));
  await writeFile(path.join(dir, 'railway.json'), JSON.stringify({ deploy: { restartPolicyType: 'ON_FAILURE', restartPolicyMaxRetries: 3 } }, null, 2));
  assert.equal((await wharf.cli(['init', '--name', 'once'], { cwd: dir })).code, 0);
});

after(async () => {
  await wharf?.cleanup();
  if (flagDir) await rm(flagDir, { recursive: true, force: true });
});

test('a worker that exits 0 under ON_FAILURE ends EXITED with service.exited, no crash', async () => {
  const up = await wharf.cli(['up', '--kind', 'worker', '--service', 'once'], { cwd: dir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  await writeFile(path.join(flagDir, 'done'), '');

  let latest: DeploymentView | undefined;
  await waitFor(async () => {
    [latest] = parseJson<DeploymentView[]>(await wharf.cli(['deployments', '-s', 'once', '--json'], { cwd: dir }));
    return latest?.status === 'EXITED';
  }, { timeoutMs: 20_000, what: () => `the deployment to be EXITED (latest: ${JSON.stringify(latest)})` });
  assert.match(latest!.reason ?? '', /exited with code 0/);
  assert.doesNotMatch(latest!.reason ?? '', /gave up/);

  const events = parseJson<Array<{ kind: string; severity: string; message: string }>>(await wharf.cli(['events', '--json'], { cwd: dir }));
  const exited = events.filter((e) => e.kind === 'service.exited');
  assert.equal(exited.length, 1, JSON.stringify(events));
  assert.equal(exited[0]!.severity, 'info');
  assert.match(exited[0]!.message, /once \(production\): the app exited with code 0/);
  assert.ok(!events.some((e) => e.kind === 'service.crashed' || e.kind === 'deployment.crashed'), JSON.stringify(events));

  const [status] = parseJson<ServiceStatusView[]>(await wharf.cli(['status', '--json'], { cwd: dir }));
  assert.equal(status!.activeDeployment?.status, 'EXITED');
  assert.deepEqual(status!.replicas.map((r) => r.state), ['exited']);
  const text = await wharf.cli(['status'], { cwd: dir });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /once\s+EXITED #1\s+0\/1 \(1 exited\)/);
});
