import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { DeploymentView, ServiceStatusView } from '../../src/core/api.js';
import { copyExample, parseJson, startWharf, succeeded, waitFor, type Wharf } from '../helpers/wharf.js';

// kill -9 of the control plane in the middle of a deploy: the apps answer throughout, and the
// restarted control plane fails or finishes the deployment cleanly (docs/testing.md "Crashes").

const HOST = 'web-production-crashy.localhost';
let wharf: Wharf;
let dir: string;

/** Requests the service every 25 ms through the router and counts anything but a 200. */
function startPoller() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let running = true;
  const result = { ok: 0, failures: [] as string[], versions: new Set<string>() };
  const done = (async () => {
    while (running) {
      await new Promise<void>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: wharf.routerPort, path: '/', headers: { host: HOST }, agent }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => {
            if (res.statusCode === 200) {
              result.ok++;
              result.versions.add((JSON.parse(body) as { version: string }).version);
            } else result.failures.push(`HTTP ${res.statusCode}`);
            resolve();
          });
        });
        req.on('error', (err) => {
          result.failures.push(err.message);
          resolve();
        });
      });
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    result,
    async stop() {
      running = false;
      await done;
      agent.destroy();
      return result;
    },
  };
}

async function latest(): Promise<DeploymentView> {
  return parseJson<DeploymentView[]>(await wharf.cli(['deployments', '--json'], { cwd: dir }))[0]!;
}

async function status(): Promise<ServiceStatusView> {
  return parseJson<ServiceStatusView[]>(await wharf.cli(['status', '--json'], { cwd: dir }))[0]!;
}

/** With the control plane dead, the app keeps answering: a few more requests succeed first. */
async function servedWhileDown(poller: ReturnType<typeof startPoller>): Promise<void> {
  const from = poller.result.ok;
  await waitFor(() => poller.result.ok >= from + 5, { timeoutMs: 10_000, what: () => `5 requests served with the control plane down (failures: ${poller.result.failures.join(', ')})` });
}

async function waitForBuildLog(pattern: RegExp): Promise<void> {
  await waitFor(async () => pattern.test(succeeded(await wharf.cli(['logs', '--build'], { cwd: dir })).stdout), { timeoutMs: 30_000, intervalMs: 50, what: `the build log to show ${pattern}` });
}

before(async () => {
  wharf = await startWharf();
  dir = await copyExample('node-web', wharf.home);
  assert.equal((await wharf.cli(['init', '--name', 'crashy'], { cwd: dir })).code, 0);
  const up = await wharf.cli(['up'], { cwd: dir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
});
after(async () => {
  await wharf.cleanup();
});

test('kill -9 while the new deployment waits for health: it is FAILED on restart and the old one never stopped serving', async () => {
  const poller = startPoller();
  succeeded(await wharf.cli(['variables', '--skip-deploy', '--set', 'HEALTH_FAIL=1'], { cwd: dir }));
  const detached = await wharf.cli(['redeploy', '--detach'], { cwd: dir });
  assert.equal(detached.code, 0, detached.stderr);
  await waitForBuildLog(/waiting for \/api\/health/);
  await wharf.stopServer('SIGKILL');
  await servedWhileDown(poller);
  await wharf.startServer();

  const failed = await latest();
  assert.equal(failed.number, 2);
  assert.equal(failed.status, 'FAILED');
  assert.match(failed.reason ?? '', /control plane stopped/);
  // Alerts on deployment.failed must fire for a deployment a restart failed, too.
  const events = await wharf.cli(['events', '--kind', 'deployment.failed', '--json'], { cwd: dir });
  assert.equal(events.code, 0, events.stderr);
  const failedEvents = parseJson<Array<{ kind: string; message: string; deploymentId: string | null }>>(events).filter((e) => e.deploymentId === failed.id);
  assert.equal(failedEvents.length, 1, events.stdout);
  assert.match(failedEvents[0]!.message, /#2 FAILED: interrupted by a control-plane restart/);
  await waitFor(async () => (await status()).replicas.length === 1, { timeoutMs: 15_000, what: 'the half-started replica to be retired' });
  const now = await status();
  assert.equal(now.activeDeployment?.number, 1);
  assert.equal(now.replicas[0]!.deploymentId, now.activeDeployment?.id);
  const result = await poller.stop();
  assert.deepEqual(result.failures, []);
  assert.ok(result.ok > 20, `only ${result.ok} requests ran`);
  assert.deepEqual([...result.versions], ['1']);
  succeeded(await wharf.cli(['variables', '--skip-deploy', '--set', 'HEALTH_FAIL=0'], { cwd: dir }));
});

test('kill -9 right after the traffic switch: the new deployment stays ACTIVE and the old replicas are retired on restart', async () => {
  const poller = startPoller();
  succeeded(await wharf.cli(['variables', '--skip-deploy', '--set', 'APP_VERSION=3'], { cwd: dir }));
  // overlapSeconds holds the old replicas after the switch: the window to crash in.
  succeeded(await wharf.cli(['settings', '--set', 'overlapSeconds=5'], { cwd: dir }));
  assert.equal((await wharf.cli(['redeploy', '--detach'], { cwd: dir })).code, 0);
  await waitForBuildLog(/traffic switched to deployment #3/);
  await wharf.stopServer('SIGKILL');
  await servedWhileDown(poller);
  await wharf.startServer();

  const live = await latest();
  assert.equal(live.number, 3);
  assert.equal(live.status, 'ACTIVE');
  await waitFor(async () => {
    const s = await status();
    return s.replicas.length === 1 && s.replicas[0]!.deploymentId === live.id;
  }, { timeoutMs: 15_000, what: 'the old replica to be retired' });
  const result = await poller.stop();
  assert.deepEqual(result.failures, []);
  assert.ok(result.versions.has('3'));
  assert.equal((JSON.parse((await wharf.get(HOST, '/')).body) as { version: string }).version, '3');
  succeeded(await wharf.cli(['settings', '--set', 'overlapSeconds=0'], { cwd: dir }));
});

test('a plain stop and start of the control plane adopts the running replicas: same pids, no duplicates', async () => {
  const before = await status();
  await wharf.stopServer('SIGTERM');
  assert.equal((await wharf.get(HOST, '/api/health')).status, 200, 'the app answers while the control plane is down');
  await wharf.startServer();
  const after = await status();
  assert.deepEqual(after.replicas.map((r) => r.id), before.replicas.map((r) => r.id));
  assert.equal(after.replicas[0]!.state, 'running');
});
