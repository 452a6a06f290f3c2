import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tarGz, type TarEntry } from '../helpers/tarball.js';
import { adminToken, httpRequest, startWharf, type Wharf } from '../helpers/wharf.js';

// Uploads the control plane must refuse cleanly (a 400 naming the cause, nothing created): links
// that climb out of the source once followed, and a railway.json that is invalid or nested
// 100,000 levels deep.

let wharf: Wharf;
let token: string;
const api = (p: string) => `http://127.0.0.1:${wharf.apiPort}${p}`;
const auth = () => ({ authorization: `Bearer ${token}` });

before(async () => {
  wharf = await startWharf();
  token = await adminToken(wharf);
  const created = await httpRequest(api('/v1/projects'), { method: 'POST', body: JSON.stringify({ name: 'checks' }), headers: { ...auth(), 'content-type': 'application/json' } });
  assert.equal(created.status, 201, created.body);
});
after(async () => {
  await wharf.cleanup();
});

async function upload(service: string, entries: TarEntry[]) {
  const res = await fetch(api(`/v1/projects/checks/environments/production/services/${service}/deployments?create=1`), {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/gzip' },
    body: new Uint8Array(tarGz(entries)),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as { error?: { code: string; message: string; hint: string } } };
}

async function serviceNames(): Promise<string[]> {
  const res = await httpRequest(api('/v1/projects/checks/environments/production/services'), { headers: auth() });
  assert.equal(res.status, 200, res.body);
  return (JSON.parse(res.body) as Array<{ service: string }>).map((s) => s.service);
}

const app: TarEntry[] = [{ name: 'package.json', body: '{"scripts":{"start":"node s.js"}}' }, { name: 's.js', body: 'setInterval(() => {}, 1000)\n' }];

test('a chain of symlinks that climbs out of the source is refused at upload, before railway.json is read', async () => {
  const res = await upload('climber', [
    ...app,
    { name: 'deep/a/b/c/d/', type: '5' },
    { name: 'deep/a/b/c/d/up', type: '2', link: '../../../../..' },
    { name: 'esc', type: '2', link: 'deep/a/b/c/d/up/../../../../../..' },
    { name: 'railway.json', type: '2', link: `esc${path.join(wharf.home, 'secret.key')}` },
    { name: 'Procfile', type: '2', link: `esc${path.join(wharf.home, 'config.json')}` },
  ]);
  assert.equal(res.status, 400, res.text);
  assert.equal(res.body.error!.code, 'INVALID_SOURCE');
  assert.match(res.body.error!.message, /'esc' is a symlink to .*which leads outside the source/);
  assert.doesNotMatch(res.text, /wharf_/, 'nothing of the state folder is echoed');
  assert.ok(!(await serviceNames()).includes('climber'), 'the rejected upload made no service');
});

test('an upload rejected for its railway.json creates no service (?create=1)', async () => {
  const res = await upload('badconfig', [...app, { name: 'railway.json', body: '{"deploy": {"numReplicas": "many"}}' }]);
  assert.equal(res.status, 400, res.text);
  assert.equal(res.body.error!.code, 'INVALID_CONFIG');
  assert.match(res.body.error!.message, /railway\.json:1:\d+ deploy\.numReplicas/);
  assert.ok(!(await serviceNames()).includes('badconfig'), 'the rejected upload made no service');
});

const DEEP = '{"deploy":' + '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_001);

test('a railway.json nested 100,000 deep is a located 400, not a 500', async () => {
  const res = await upload('deep', [...app, { name: 'railway.json', body: DEEP }]);
  assert.equal(res.status, 400, res.text);
  assert.equal(res.body.error!.code, 'INVALID_CONFIG');
  assert.match(res.body.error!.message, /^railway\.json:1:\d+ deploy(\.a)+: nested more than 32 levels deep$/);
  assert.ok(res.body.error!.hint.length > 0);
});

test('`wharf validate` names where a railway.json nested 100,000 deep goes too deep', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-validate-deep-'));
  try {
    await writeFile(path.join(dir, 'railway.json'), DEEP);
    const result = await wharf.cli(['validate', 'railway.json'], { cwd: dir });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /railway\.json:1:\d+ deploy(\.a)+: nested more than 32 levels deep/);
    assert.doesNotMatch(result.stderr, /Maximum call stack/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
