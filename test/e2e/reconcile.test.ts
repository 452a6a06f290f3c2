import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ServiceStatusView } from '../../src/core/api.js';
import type { SupervisedStatus as ReplicaStatus } from '../../src/supervisor/status-file.js';
import { copyExample, parseJson, startWharf, waitFor, type Wharf } from '../helpers/wharf.js';

// The reconcile loop and the supervisors repair what breaks from outside.

const HOST = 'web-production-heal.localhost';
let wharf: Wharf;
let dir: string;

async function status(): Promise<ServiceStatusView> {
  return parseJson<ServiceStatusView[]>(await wharf.cli(['status', '--json'], { cwd: dir }))[0]!;
}

/** Alive and not a zombie (this sandbox's init may be slow to reap). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function runtimeStatus(replicaId: string): Promise<ReplicaStatus> {
  return JSON.parse(await readFile(path.join(wharf.home, 'run', 'replicas', replicaId, 'status.json'), 'utf8')) as ReplicaStatus;
}

before(async () => {
  wharf = await startWharf();
  dir = await copyExample('node-web', wharf.home);
  assert.equal((await wharf.cli(['init', '--name', 'heal'], { cwd: dir })).code, 0);
  const up = await wharf.cli(['up'], { cwd: dir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  const set = await wharf.cli(['settings', '--set', 'numReplicas=2', '--set', 'livenessIntervalSeconds=0.5', '--set', 'livenessFailureThreshold=2'], { cwd: dir });
  assert.equal(set.code, 0, set.stderr);
  const redeploy = await wharf.cli(['redeploy'], { cwd: dir });
  assert.equal(redeploy.code, 0, redeploy.stdout + redeploy.stderr);
});
after(async () => {
  await wharf.cleanup();
});

test('numReplicas starts that many replicas and the router spreads requests over them', async () => {
  const s = await status();
  assert.equal(s.replicas.filter((r) => r.routed && r.state === 'running').length, 2);
  const answered = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const res = await wharf.get(HOST, '/');
    assert.equal(res.status, 200);
    answered.add((JSON.parse(res.body) as { replica: string }).replica);
  }
  assert.deepEqual([...answered].sort(), s.replicas.map((r) => r.id).sort());
});

test('an app killed from outside is restarted by its supervisor', async () => {
  const [replica] = (await status()).replicas;
  const before = await runtimeStatus(replica!.id);
  process.kill(before.appPid!, 'SIGKILL');
  await waitFor(async () => {
    const now = await runtimeStatus(replica!.id);
    return now.state === 'running' && now.appPid !== before.appPid && now.restarts === before.restarts + 1;
  }, { timeoutMs: 15_000, what: 'the supervisor to restart the app' });
  assert.equal((await wharf.get(HOST, '/api/health')).status, 200);
});

test('a replica whose supervisor is killed is replaced by the reconcile loop', async () => {
  const s = await status();
  const victim = s.replicas[1]!;
  const info = await runtimeStatus(victim.id);
  process.kill(info.supervisorPid!, 'SIGKILL');
  await waitFor(async () => {
    const now = await status();
    const live = now.replicas.filter((r) => r.routed && r.state === 'running');
    return live.length === 2 && !now.replicas.some((r) => r.id === victim.id);
  }, { timeoutMs: 20_000, what: 'a replacement replica' });
  // The replaced replica's app must not be left behind as an orphan.
  await waitFor(() => !isRunning(info.appPid!), { timeoutMs: 5000, what: `the orphaned app ${info.appPid} to be stopped` });
});

test('a replica whose health path starts failing is restarted by the liveness probe', async () => {
  const [replica] = (await status()).replicas;
  const before = await runtimeStatus(replica!.id);
  const workDir = (JSON.parse(await readFile(path.join(wharf.home, 'run', 'replicas', replica!.id, 'spec.json'), 'utf8')) as { cwd: string }).cwd;
  // The example answers 503 on /api/health while a file named `unhealthy` exists in its folder.
  const flag = path.join(workDir, 'unhealthy');
  await writeFile(flag, '');
  try {
    await waitFor(async () => (await runtimeStatus(replica!.id)).restarts > before.restarts, { timeoutMs: 15_000, what: 'a liveness restart' });
    assert.match((await runtimeStatus(replica!.id)).lastReason ?? '', /liveness/);
  } finally {
    await rm(flag, { force: true });
  }
  await waitFor(async () => (await runtimeStatus(replica!.id)).state === 'running', { timeoutMs: 15_000, what: 'the replica to be healthy again' });
});
