import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { adminToken, httpRequest, startWharf, type Wharf } from '../helpers/wharf.js';
import { tarGz } from '../helpers/tarball.js';

// The HTTP API at its boundary: auth, validation, error bodies, uploads that try to escape.

let wharf: Wharf;
let token: string;
const api = (p: string) => `http://127.0.0.1:${wharf.apiPort}${p}`;

before(async () => {
  wharf = await startWharf();
  token = await adminToken(wharf);
  const created = await httpRequest(api('/v1/projects'), { method: 'POST', body: JSON.stringify({ name: 'edge' }), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  assert.equal(created.status, 201, created.body);
});
after(async () => {
  await wharf.cleanup();
});

function upload(body: Buffer) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request(api('/v1/projects/edge/environments/production/services/web/deployments?create=1'), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip', 'content-length': body.length },
      }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    }, reject);
  });
}

test('the first start wrote the admin token into the CLI config with mode 0600', async () => {
  const info = await stat(path.join(wharf.home, 'config.json'));
  assert.equal(info.mode & 0o777, 0o600);
  assert.match(token, /^wharf_/);
  assert.ok(wharf.serverLog.join('').includes(token), 'the token is printed once at first start');
});

test('requests without a valid token get 401 with a code, message and hint', async () => {
  for (const headers of [{}, { authorization: 'Bearer wharf_not-a-token' }] as Array<Record<string, string>>) {
    const res = await httpRequest(api('/v1/projects'), { headers });
    assert.equal(res.status, 401);
    const body = JSON.parse(res.body) as { error: { code: string; message: string; hint: string } };
    assert.equal(body.error.code, 'UNAUTHORIZED');
    assert.ok(body.error.hint.length > 0);
  }
});

test('an invalid body is a 400 naming the field; a duplicate is 409; an unknown project 404', async () => {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const bad = await httpRequest(api('/v1/projects'), { method: 'POST', body: JSON.stringify({ name: 'Not A Name!' }), headers });
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body).error.message, /name:/);
  const notJson = await httpRequest(api('/v1/projects'), { method: 'POST', body: '{nope', headers });
  assert.equal(notJson.status, 400);
  const dup = await httpRequest(api('/v1/projects'), { method: 'POST', body: JSON.stringify({ name: 'edge' }), headers });
  assert.equal(dup.status, 409);
  const missing = await httpRequest(api('/v1/projects/nope'), { headers });
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.body).error.code, 'NOT_FOUND');
  const settings = await httpRequest(api('/v1/projects/edge/environments/production/services'), { method: 'POST', body: JSON.stringify({ name: 'svc' }), headers });
  assert.equal(settings.status, 201);
  const badSetting = await httpRequest(api('/v1/projects/edge/environments/production/services/svc/settings'), { method: 'PATCH', body: JSON.stringify({ numReplicas: 0, bogus: 1 }), headers });
  assert.equal(badSetting.status, 400);
  assert.match(JSON.parse(badSetting.body).error.message, /numReplicas/);
});

test('an upload with a ../ path is rejected naming the entry, and nothing is deployed', async () => {
  const res = await upload(tarGz([{ name: 'package.json', body: '{}' }, { name: '../evil.js', body: 'boom' }]));
  assert.equal(res.status, 400, res.body);
  const error = JSON.parse(res.body).error as { code: string; message: string };
  assert.equal(error.code, 'INVALID_SOURCE');
  assert.match(error.message, /\.\.\/evil\.js/);
  const services = await httpRequest(api('/v1/projects/edge/environments/production/services'), { headers: { authorization: `Bearer ${token}` } });
  assert.ok(!(JSON.parse(services.body) as Array<{ service: string }>).some((s) => s.service === 'web'), 'no service was created');
});

test('an upload with an absolute symlink is rejected', async () => {
  const res = await upload(tarGz([{ name: 'index.html', body: 'hi' }, { name: 'secrets', type: '2', link: '/etc/passwd' }]));
  assert.equal(res.status, 400, res.body);
  assert.match(JSON.parse(res.body).error.message, /secrets/);
});

test('a garbage body is rejected as not an archive', async () => {
  const res = await upload(Buffer.from('this is not a tarball'));
  assert.equal(res.status, 400);
  assert.equal(JSON.parse(res.body).error.code, 'INVALID_SOURCE');
});

test('the OpenAPI document lists the routes with their schemas', async () => {
  const res = await httpRequest(api('/v1/openapi.json'));
  assert.equal(res.status, 200);
  const doc = JSON.parse(res.body) as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> };
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/v1/projects']?.post?.requestBody);
  assert.ok(doc.paths['/v1/projects/{project}/environments/{environment}/services/{service}/deployments']?.post);
  assert.ok(doc.paths['/v1/projects/{project}/environments/{environment}/services/{service}/rollback']?.post);
});
