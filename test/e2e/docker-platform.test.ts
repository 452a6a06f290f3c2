import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type Docker from 'dockerode';
import { dockerSkip, dockerEngine, dockerWharfEnv, ensureBaseImages } from '../helpers/docker.js';
import { httpRequest, parseJson, startWharf, succeeded, waitFor, type Wharf } from '../helpers/wharf.js';
import { containersOf, deploymentsOf, makeProject, phase, statusOf, sweepInstallation } from './docker-platform-support.js';

// Issue 13's platform scenarios on a real Wharf on the docker runtime (real CLI, router and
// engine): two services over the private network, a database and a volume kept across a redeploy
// and a rollback, an OOM kill reported, a Compose stack, and kill -9 of the control plane mid-deploy.
// One Wharf serves every test (one project each); the last test restarts it.

const skip = await dockerSkip();
let wharf: Wharf;
let docker: Docker;

const host = (service: string, project: string) => `${service}-production-${project}.localhost`;

async function json<T>(service: string, project: string, urlPath = '/'): Promise<T> {
  const res = await wharf.get(host(service, project), urlPath);
  assert.equal(res.status, 200, `${host(service, project)}${urlPath}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as T;
}

async function post(service: string, project: string, urlPath: string, body: string): Promise<string> {
  const res = await httpRequest(`http://127.0.0.1:${wharf.routerPort}${urlPath}`, { host: host(service, project), method: 'POST', body });
  assert.equal(res.status, 200, `POST ${urlPath}: ${res.status} ${res.body}`);
  return res.body;
}

async function up(dir: string, project: string): Promise<string> {
  succeeded(await wharf.cli(['init', '--name', project], { cwd: dir }), 'wharf init');
  const result = await wharf.cli(['up'], { cwd: dir, timeoutMs: 180_000 });
  assert.equal(result.code, 0, `wharf up: ${result.stdout}\n${result.stderr}\n${wharf.serverLog.join('')}`);
  return result.stdout;
}

/** Requests `hostname` every 25 ms through the router and counts anything but a 200. */
function startPoller(hostname: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let running = true;
  const result = { ok: 0, failures: [] as string[], versions: new Set<string>() };
  const done = (async () => {
    while (running) {
      await new Promise<void>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: wharf.routerPort, path: '/', headers: { host: hostname }, agent }, (res) => {
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

describe('docker platform', { skip }, () => {
  before(async () => {
    await phase('base images + server', async () => {
      await ensureBaseImages();
      docker = (await dockerEngine())!;
      wharf = await startWharf(dockerWharfEnv());
    });
  });
  after(async () => {
    if (!wharf) return;
    await phase('cleanup', async () => {
      try {
        await wharf.stopServer('SIGKILL');
        // The server's containers, images, networks and volumes outlive it (by design): remove them.
        const swept = await sweepInstallation(docker, wharf.home);
        console.log(`# swept ${JSON.stringify(swept)}`);
      } finally {
        await wharf.cleanup();
      }
    });
  });

  test('two services talk over the private network by name', async () => {
    const project = 'dnet';
    const dir = await makeProject(wharf.home, project, {
      'wharf.toml': [
        `name = "${project}"`,
        'runtime = "docker"',
        '[services.b]',
        'root = "b"',
        'healthcheckPath = "/health"',
        '[services.a]',
        'root = "a"',
        'healthcheckPath = "/health"',
        '[services.a.variables]',
        'PEER_URL = "http://${{b.RAILWAY_PRIVATE_DOMAIN}}:${{b.PORT}}/"',
        '',
      ].join('\n'),
    }, { a: 'node', b: 'node' });
    await phase('private network: up', () => up(dir, project));
    const relay = await json<{ peerUrl: string; peerStatus: number; peer: { service: string } }>('a', project, '/relay');
    assert.match(relay.peerUrl, /^http:\/\/b\.railway\.internal:\d+\/$/);
    assert.equal(relay.peerStatus, 200);
    assert.equal(relay.peer.service, 'b');
  });
  test('a database and a volume survive a redeploy and a rollback of the app', async () => {
    const project = 'ddb';
    const dir = await makeProject(wharf.home, project, {
      'wharf.toml': [
        `name = "${project}"`,
        'runtime = "docker"',
        '[databases.db]',
        'engine = "postgres"',
        'version = "15"',
        '[services.api]',
        'root = "api"',
        'healthcheckPath = "/health"',
        'preDeployCommand = "node server.js migrate"',
        '[services.api.variables]',
        'DATABASE_URL = "${{db.DATABASE_URL}}"',
        '[services.notes]',
        'root = "notes"',
        'healthcheckPath = "/health"',
        '[[services.notes.volumes]]',
        'name = "data"',
        'mountPath = "/data"',
        '',
      ].join('\n'),
    }, { api: 'psql', notes: 'node' });
    await phase('database + volume: up', () => up(dir, project));
    const databaseContainers = async () =>
      (await containersOf(docker, wharf)).filter((c) => c.Labels['wharf.role'] === 'database').map((c) => `${c.Id}:${c.State}`);
    const dbBefore = await databaseContainers();
    assert.equal(dbBefore.length, 1, JSON.stringify(dbBefore));

    assert.equal(await post('api', project, '/db', 'row one'), 'inserted');
    assert.equal(await post('notes', project, '/file', 'kept note'), 'written');
    const kept = async (when: string) => {
      assert.deepEqual((await json<{ rows: string[] }>('api', project, '/db')).rows, ['row one'], `the row ${when}`);
      const file = await wharf.get(host('notes', project), '/file');
      assert.equal(file.body, 'kept note', `the volume's file ${when}`);
    };
    await kept('after it was written');

    const volumes = await waitFor(async () => {
      type Row = { service: string; volume: string; runtime: string; sizeBytes: number | null; attached: boolean };
      const list = parseJson<Row[]>(await wharf.cli(['volume', 'list', '--json'], { cwd: dir }));
      const data = list.find((v) => v.service === 'notes' && v.volume === 'data');
      return data && data.sizeBytes !== null && data.sizeBytes > 0 ? list : undefined;
    }, { timeoutMs: 15_000, what: 'wharf volume list to show notes/data with a size' });
    const data = volumes.find((v) => v.service === 'notes')!;
    assert.equal(data.runtime, 'docker');
    assert.equal(data.attached, true);
    assert.ok(data.sizeBytes! >= 'kept note'.length, JSON.stringify(data));

    for (const service of ['api', 'notes']) {
      await phase(`database + volume: redeploy ${service}`, async () => {
        succeeded(await wharf.cli(['variables', '-s', service, '--skip-deploy', '--set', 'APP_VERSION=2'], { cwd: dir }));
        succeeded(await wharf.cli(['redeploy', '-s', service], { cwd: dir, timeoutMs: 120_000 }), `redeploy ${service}`);
      });
      assert.equal((await json<{ version: string }>(service, project)).version, '2');
    }
    await kept('after a redeploy');

    for (const service of ['api', 'notes']) {
      await phase(`database + volume: rollback ${service}`, async () => {
        succeeded(await wharf.cli(['rollback', '-s', service], { cwd: dir, timeoutMs: 120_000 }), `rollback ${service}`);
      });
      // A rollback re-runs the kept image with the variables of its deployment.
      assert.equal((await json<{ version: string }>(service, project)).version, '1');
      const [rolledBack] = await deploymentsOf(wharf, dir, service);
      assert.equal(rolledBack!.status, 'ACTIVE');
      assert.ok(rolledBack!.rollbackOf, JSON.stringify(rolledBack));
    }
    await kept('after a rollback');
    assert.deepEqual(await databaseContainers(), dbBefore, 'the database container is the same one, untouched');
  });

  test('a container over its memory limit is reported as OOM-killed', async () => {
    const project = 'doom';
    const dir = await makeProject(wharf.home, project, {
      'wharf.toml': [
        `name = "${project}"`,
        'runtime = "docker"',
        '[services.hog]',
        'root = "hog"',
        'healthcheckPath = "/health"',
        'memoryLimit = "64M"',
        '',
      ].join('\n'),
    }, { hog: 'node' });
    await phase('oom: up', () => up(dir, project));
    await phase('oom: allocate past the limit', async () => {
      const res = await httpRequest(`http://127.0.0.1:${wharf.routerPort}/alloc?mb=256`, { host: host('hog', project) }).catch((err: Error) => ({ status: 0, body: err.message }));
      assert.notEqual(res.status, 200, `allocating 256 MiB under a 64 MiB limit answered: ${res.body}`);
      const oom = await waitFor(async () => {
        type Event = { kind: string; message: string; data?: Record<string, unknown> };
        const events = parseJson<Event[]>(await wharf.cli(['events', '--kind', 'service.oom', '--json'], { cwd: dir }));
        return events[0];
      }, { timeoutMs: 20_000, what: 'a service.oom event' });
      assert.equal(oom.kind, 'service.oom');
      assert.match(oom.message, /limit 64 MiB/);
      if (oom.data && 'limitBytes' in oom.data) assert.equal(oom.data.limitBytes, 64 * 2 ** 20);
      await waitFor(async () => /killed: out of memory \(limit 64 MiB\)/.test(succeeded(await wharf.cli(['logs', '-s', 'hog'], { cwd: dir })).stdout),
        { timeoutMs: 10_000, what: 'the sys line of the OOM kill in wharf logs' });
    });
    // Restarted by its policy, it answers again.
    await waitFor(async () => (await wharf.get(host('hog', project), '/health')).status === 200, { timeoutMs: 20_000, what: 'the hog to answer again after its restart' });
  });
  test('a docker-compose.yml stack: a Dockerfile build, a prebuilt image, depends_on, a named volume and a managed postgres', async () => {
    const project = 'dstack';
    const dir = await makeProject(wharf.home, project, {
      'docker-compose.yml': [
        `name: ${project}`,
        'services:',
        '  api:',
        '    build: ./api',
        '    ports: ["3000:3000"]',
        '    environment:',
        '      DATABASE_URL: "${{db.DATABASE_URL}}"',
        '    volumes: ["appdata:/data"]',
        '    depends_on: [db]',
        '    healthcheck:',
        '      test: ["CMD", "curl", "-f", "http://localhost:3000/health"]',
        '  front:',
        '    image: wharf-local/node:20',
        // A prebuilt image with a command that listens on $PORT and asks api over the private network.
        '    command: ["node", "-e", "require(\'http\').createServer(async (q, s) => s.end(\'front+\' + await (await fetch(process.env.API_URL + \'/db/ping\')).text())).listen(process.env.PORT)"]',
        '    ports: ["8080:8080"]',
        '    environment:',
        '      API_URL: "http://${{api.RAILWAY_PRIVATE_DOMAIN}}:${{api.PORT}}"',
        '    depends_on:',
        '      api: { condition: service_healthy }',
        '  db:',
        '    image: postgres:15',
        'volumes:',
        '  appdata: {}',
        '',
      ].join('\n'),
    }, { api: 'psql' });
    const out = await phase('compose: up', () => up(dir, project));
    // Each service health-gated, and depends_on ordered: api healthy (its Compose healthcheck's
    // path) before front builds; front (no healthcheck) gated on its port.
    // The CLI follows each deployment on its own stream, so their lines interleave in the order
    // they arrive: the order is read from the servers' own log times instead.
    assert.ok(out.includes('[api] waiting for /health to answer 2xx') && out.includes('[api] 1 replica(s) healthy'), out);
    assert.ok(out.includes('[front] waiting for the port to accept connections'), out);
    const buildLog = async (service: string) =>
      succeeded(await wharf.cli(['logs', '-s', service, '--build', '--deployment', '1', '--json'], { cwd: dir }), `wharf logs -s ${service} --build`)
        .stdout.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as { t: string; m: string });
    const apiHealthyAt = (await buildLog('api')).find((l) => /1 replica\(s\) healthy/.test(l.m))?.t;
    const frontFirstAt = (await buildLog('front')).find((l) => /prebuilt image/.test(l.m))?.t;
    assert.ok(apiHealthyAt && frontFirstAt, 'both build logs have lines');
    assert.ok(Date.parse(frontFirstAt) >= Date.parse(apiHealthyAt), `front started at ${frontFirstAt}, before api was healthy at ${apiHealthyAt}`);
    assert.match(out, /\[api\] ==> builder DOCKERFILE/);
    assert.match(out, /\[front\] ==> prebuilt image wharf-local\/node:20/);
    const api = await statusOf(wharf, dir, 'api');
    assert.equal(api.settings.healthcheckPath, '/health');
    assert.equal(api.activeDeployment?.status, 'ACTIVE');
    assert.equal((await json<{ answer: string }>('api', project, '/db/ping')).answer, '42');
    assert.equal(await post('api', project, '/file', 'compose note'), 'written');
    assert.equal((await wharf.get(host('api', project), '/file')).body, 'compose note');
    const front = await wharf.get(host('front', project), '/');
    assert.equal(front.status, 200, front.body);
    assert.equal(front.body, 'front+{"answer":"42"}');
    const volumes = parseJson<Array<{ service: string; volume: string; runtime: string }>>(await wharf.cli(['volume', 'list', '--json'], { cwd: dir }));
    assert.ok(volumes.some((v) => v.service === 'api' && v.volume === 'appdata' && v.runtime === 'docker'), JSON.stringify(volumes));
    const db = (await containersOf(docker, wharf)).filter((c) => c.Labels['wharf.role'] === 'database' && c.State === 'running');
    assert.ok(db.length >= 1, 'the managed postgres runs as a container');
  });

  // Last: it kills and restarts the control plane. What the process runtime guarantees
  // (test/e2e/crash-recovery.test.ts) holds on docker too.
  test('kill -9 of the control plane while the new containers health-wait: restarted, it adopts them with no duplicate', async () => {
    const project = 'dcrash';
    const dir = await makeProject(wharf.home, project, {
      'wharf.toml': [`name = "${project}"`, 'runtime = "docker"', '[services.web]', 'root = "web"', 'healthcheckPath = "/health"', 'healthcheckTimeout = 60', ''].join('\n'),
    }, { web: 'node' });
    await phase('crash: up', () => up(dir, project));
    const first = (await statusOf(wharf, dir, 'web')).replicas[0]!.id;
    const firstContainer = (await containersOf(docker, wharf)).find((c) => c.Labels['wharf.replica'] === first)!;
    const instance = firstContainer.Labels['wharf.instance'];
    const ofService = async () => (await containersOf(docker, wharf)).filter((c) => c.Labels['wharf.instance'] === instance);
    const appContainers = async () => (await ofService()).filter((c) => c.Labels['wharf.role'] === 'app' && c.State === 'running');
    const poller = startPoller(host('web', project));
    try {

      await phase('crash: kill -9 mid-deploy', async () => {
        succeeded(await wharf.cli(['variables', '-s', 'web', '--skip-deploy', '--set', 'HEALTH_FAIL=1'], { cwd: dir }));
        succeeded(await wharf.cli(['redeploy', '-s', 'web', '--detach'], { cwd: dir }));
        await waitFor(async () => /waiting for \/health/.test(succeeded(await wharf.cli(['logs', '-s', 'web', '--build'], { cwd: dir })).stdout),
          { timeoutMs: 60_000, intervalMs: 100, what: 'the new deployment to wait for its health check' });
        assert.equal((await appContainers()).length, 2, 'the old and the new container run');
        await wharf.stopServer('SIGKILL');
        const from = poller.result.ok;
        await waitFor(() => poller.result.ok >= from + 5, { timeoutMs: 10_000, what: () => `5 requests served with the control plane down (${poller.result.failures.join(', ')})` });
      });
      await phase('crash: restart and adopt', async () => {
        await wharf.startServer();
        const [failed] = await deploymentsOf(wharf, dir, 'web');
        assert.equal(failed!.number, 2);
        assert.equal(failed!.status, 'FAILED');
        assert.match(failed!.reason ?? '', /control plane stopped/);
        await waitFor(async () => (await statusOf(wharf, dir, 'web')).replicas.length === 1, { timeoutMs: 20_000, what: 'the half-started replica to be retired' });
        const now = await statusOf(wharf, dir, 'web');
        assert.equal(now.activeDeployment?.number, 1);
        assert.equal(now.replicas[0]!.state, 'running');
        // The engine agrees: one container per replica, the adopted one, no duplicate.
        await waitFor(async () => (await appContainers()).length === 1, { timeoutMs: 20_000, what: 'one running app container' });
        const [container] = await appContainers();
        assert.equal(container!.Labels['wharf.replica'], now.replicas[0]!.id);
        assert.equal(container!.Labels['wharf.replica'], first, 'the replica of deployment #1, adopted');
        assert.equal(container!.Id, firstContainer.Id, 'the same container: adopted, not recreated');
        const all = await ofService();
        assert.equal(all.length, 1, `containers of the service: ${all.map((c) => `${c.Names[0]} ${c.State}`).join(', ')}`);
      });
    } finally {
      await poller.stop();
    }
    const result = poller.result;
    assert.deepEqual(result.failures, []);
    assert.ok(result.ok > 20, `only ${result.ok} requests ran`);
    assert.deepEqual([...result.versions], ['1']);
    assert.equal((await json<{ version: string }>('web', project)).version, '1');

    // Right after the traffic switch (overlapSeconds holds the old container: the window to
    // crash in): the new deployment stays ACTIVE and the old container is retired on restart.
    const second = startPoller(host('web', project));
    try {
      await phase('crash: kill -9 after the switch', async () => {
        succeeded(await wharf.cli(['variables', '-s', 'web', '--skip-deploy', '--set', 'HEALTH_FAIL=0', '--set', 'APP_VERSION=3'], { cwd: dir }));
        succeeded(await wharf.cli(['settings', '-s', 'web', '--set', 'overlapSeconds=5'], { cwd: dir }));
        succeeded(await wharf.cli(['redeploy', '-s', 'web', '--detach'], { cwd: dir }));
        await waitFor(async () => /traffic switched to deployment #3/.test(succeeded(await wharf.cli(['logs', '-s', 'web', '--build'], { cwd: dir })).stdout),
          { timeoutMs: 60_000, intervalMs: 100, what: 'the traffic switch to deployment #3' });
        await wharf.stopServer('SIGKILL');
        const from = second.result.ok;
        await waitFor(() => second.result.ok >= from + 5, { timeoutMs: 10_000, what: () => `5 requests served with the control plane down (${second.result.failures.join(', ')})` });
      });
      await phase('crash: restart after the switch', async () => {
        await wharf.startServer();
        const [live] = await deploymentsOf(wharf, dir, 'web');
        assert.equal(live!.number, 3);
        assert.equal(live!.status, 'ACTIVE');
        await waitFor(async () => {
          const s = await statusOf(wharf, dir, 'web');
          return s.replicas.length === 1 && s.replicas[0]!.deploymentId === live!.id;
        }, { timeoutMs: 20_000, what: 'the old replica to be retired' });
        const [replica] = (await statusOf(wharf, dir, 'web')).replicas;
        await waitFor(async () => (await ofService()).length === 1, { timeoutMs: 20_000, what: () => 'one container left for the service' });
        const [container] = await ofService();
        assert.equal(container!.Labels['wharf.replica'], replica!.id);
        assert.equal(container!.State, 'running');
      });
    } finally {
      await second.stop();
    }
    assert.deepEqual(second.result.failures, []);
    assert.ok(second.result.versions.has('3'));
    assert.equal((await json<{ version: string }>('web', project)).version, '3');
  });
});
