import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServiceStatusView } from '../../src/core/api.js';
import type { SupervisedStatus as ReplicaStatus } from '../../src/supervisor/status-file.js';
import { parseJson, REPO, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// The reconcile loop never waits on one repair: a replacement that never gets healthy (with
// healthcheckTimeout 300 s) must not hold up the repair of another service's lost replica, nor
// a deploy of its own service.

let wharf: Wharf;
let flagDir: string;
const dirs: Record<string, string> = {};

async function statusOf(service: string): Promise<ServiceStatusView> {
  const res = await wharf.cli(['status', '--json'], { cwd: dirs[service]! });
  assert.equal(res.code, 0, res.stderr);
  return parseJson<ServiceStatusView[]>(res).find((s) => s.service === service)!;
}

async function runtimeStatus(replicaId: string): Promise<ReplicaStatus> {
  return JSON.parse(await readFile(path.join(wharf.home, 'run', 'replicas', replicaId, 'status.json'), 'utf8')) as ReplicaStatus;
}

async function deploy(service: string): Promise<void> {
  const dir = path.join(wharf.home, `src-${service}`);
  dirs[service] = dir;
  await mkdir(dir, { recursive: true });
  await copyFile(path.join(REPO, 'test/fixtures/app-turns-unhealthy.js'), path.join(dir, 'app.mjs'));
  const start = `UNHEALTHY_FILE=${path.join(flagDir, service)} node app.mjs`;
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: service, version: '1.0.0', private: true, scripts: { start } }, null, 2));
  await writeFile(path.join(dir, 'railway.json'), JSON.stringify({ deploy: { healthcheckPath: '/health', healthcheckTimeout: 300 } }, null, 2));
  const link = await wharf.cli(dirs.stuck && service !== 'stuck' ? ['link', 'indep'] : ['init', '--name', 'indep'], { cwd: dir });
  assert.equal(link.code, 0, link.stdout + link.stderr);
  const up = await wharf.cli(['up', '--service', service], { cwd: dir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
}

before(async () => {
  wharf = await startWharf();
  flagDir = await mkdtemp(path.join(os.tmpdir(), 'wharf-flags-'));
  await chmod(flagDir, 0o755);
  await deploy('stuck');
  await deploy('fine');
});

after(async () => {
  await wharf?.cleanup();
  if (flagDir) await rm(flagDir, { recursive: true, force: true });
});

test("a replacement that never gets healthy holds up neither another service's repair nor a deploy of its own service", async () => {
  const stuck = (await statusOf('stuck')).replicas[0]!;
  const fine = (await statusOf('fine')).replicas[0]!;
  // From now on every new `stuck` replica answers 503 (the live one is probed every 10 s and
  // replaced below before it counts three failures).
  await writeFile(path.join(flagDir, 'stuck'), '');
  process.kill((await runtimeStatus(stuck.id)).supervisorPid!, 'SIGKILL');
  await waitFor(async () => {
    const now = await statusOf('stuck');
    return now.replicas.some((r) => r.id !== stuck.id && !r.routed);
  }, { timeoutMs: 20_000, what: 'the stuck service to get a replacement that waits for health' });

  process.kill((await runtimeStatus(fine.id)).supervisorPid!, 'SIGKILL');
  await waitFor(async () => {
    const now = await statusOf('fine');
    return now.replicas.length === 1 && now.replicas[0]!.id !== fine.id && now.replicas[0]!.routed && now.replicas[0]!.state === 'running';
  }, { timeoutMs: 30_000, what: 'the fine service to be repaired while the other replacement still waits' });
  assert.equal((await wharf.get((await statusOf('fine')).host, '/')).status, 200);

  // The stuck replacement is still waiting (unrouted) and the loop still runs for everyone.
  const waiting = (await statusOf('stuck')).replicas.filter((r) => r.id !== stuck.id);
  assert.equal(waiting.length, 1);
  assert.equal(waiting[0]!.routed, false);

  // A deploy of the stuck service is not queued behind the waiting replacement: this one (with
  // healthcheckTimeout 3 s, and still answering 503) fails at its own timeout.
  await writeFile(path.join(dirs.stuck!, 'railway.json'), JSON.stringify({ deploy: { healthcheckPath: '/health', healthcheckTimeout: 3 } }, null, 2));
  const up = await wharf.cli(['up', '--service', 'stuck'], { cwd: dirs.stuck!, timeoutMs: 60_000 });
  assert.equal(up.code, 1, up.stdout + up.stderr);
  assert.match(up.stderr, /FAILED: health check \/health did not answer 2xx within 3 s/);
});
