import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceStatusView } from '../../src/core/api.js';
import { copyExample, parseJson, startWharf, type Wharf } from '../helpers/wharf.js';

// Each example deploys through the real CLI and answers through the router.

let wharf: Wharf;
before(async () => {
  wharf = await startWharf();
  const init = await wharf.cli(['init', '--name', 'examples']);
  assert.equal(init.code, 0, init.stderr);
});
after(async () => {
  await wharf.cleanup();
});

async function deploy(example: string, service: string): Promise<ServiceStatusView> {
  const dir = await copyExample(example, wharf.home);
  const up = await wharf.cli(['--project', 'examples', '--service', service, 'up'], { cwd: dir });
  assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
  const status = parseJson<ServiceStatusView[]>(await wharf.cli(['--project', 'examples', 'status', '--json']));
  return status.find((s) => s.service === service)!;
}

test('the static site example is served by the built-in static server', async () => {
  const status = await deploy('static-site', 'site');
  assert.equal(status.activeDeployment?.status, 'ACTIVE');
  const index = await wharf.get('site-production-examples.localhost', '/');
  assert.equal(index.status, 200);
  assert.match(index.body, /<html/i);
  const about = await wharf.get('site-production-examples.localhost', '/about.html');
  assert.equal(about.status, 200);
  assert.equal((await wharf.get('site-production-examples.localhost', '/missing.html')).status, 404);
});

test("the Procfile example runs its web process", async () => {
  const status = await deploy('procfile-app', 'procs');
  assert.equal(status.activeDeployment?.status, 'ACTIVE');
  const res = await wharf.get('procs-production-examples.localhost', '/');
  assert.equal(res.status, 200);
  assert.match(res.body, /procfile-app/);
});

test('status --json lists each service with its public URL and active deployment', async () => {
  const status = parseJson<ServiceStatusView[]>(await wharf.cli(['--project', 'examples', 'status', '--json']));
  const names = status.map((s) => s.service).sort();
  assert.deepEqual(names, ['procs', 'site']);
  for (const service of status) {
    assert.equal(service.url, `http://${service.service}-production-examples.localhost:${wharf.routerPort}`);
    assert.equal(service.activeDeployment?.number, 1);
    assert.equal(service.replicas.filter((r) => r.routed).length, 1);
  }
});

test('an unknown host gets a clear 404 page from the router', async () => {
  const res = await wharf.get('nothing-here.localhost', '/');
  assert.equal(res.status, 404);
  assert.match(res.body, /nothing-here\.localhost/);
});
