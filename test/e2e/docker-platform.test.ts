import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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
      await wharf.stopServer('SIGKILL');
      const swept = await sweepInstallation(docker, wharf.home);
      console.log(`# swept ${JSON.stringify(swept)}`);
      await wharf.cleanup();
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
});
