import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { wharfPaths } from '../../src/core/paths.js';
import { gzipBomb, tarBomb } from '../helpers/tarball.js';
import { adminToken, httpRequest, startWharf, type Wharf } from '../helpers/wharf.js';

// Upload bombs: an archive that decompresses to far more than it weighs is refused early, off
// the API's event loop, and leaves no temporary file behind (nor across a restart).

let wharf: Wharf;
let token: string;
const api = (p: string) => `http://127.0.0.1:${wharf.apiPort}${p}`;

before(async () => {
  wharf = await startWharf();
  token = await adminToken(wharf);
  const created = await httpRequest(api('/v1/projects'), { method: 'POST', body: JSON.stringify({ name: 'bombs' }), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  assert.equal(created.status, 201, created.body);
});
after(async () => {
  await wharf.cleanup();
});

/** Uploads `body` while polling /v1/health; every health answer must come within 5 s. */
async function uploadWhilePolling(body: Buffer) {
  const uploading = fetch(api('/v1/projects/bombs/environments/production/services/web/deployments?create=1'), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
    body: new Uint8Array(body),
  });
  let done = false;
  const settled = uploading.finally(() => (done = true));
  let answers = 0;
  // Poll health for as long as the upload is in flight, and a few times at least.
  while (!done || answers < 5) {
    const res = await fetch(api('/v1/health'), { signal: AbortSignal.timeout(5_000) });
    assert.equal(res.status, 200);
    answers += 1;
  }
  const res = await settled;
  return { status: res.status, body: (await res.json()) as { error: { code: string; message: string; hint: string } } };
}

async function assertNothingLeft() {
  const sources = await readdir(wharfPaths(wharf.home).sources);
  assert.deepEqual(sources.filter((f) => f.startsWith('.upload-') || f.includes('.tmp-')), []);
  // The rejected upload made no service.
  const services = await httpRequest(api('/v1/projects/bombs/environments/production/services'), { headers: { authorization: `Bearer ${token}` } });
  assert.equal(services.status, 200, services.body);
  assert.equal((JSON.parse(services.body) as unknown[]).length, 0);
}

test('gzipped zeros (1 GiB from 1 MB, not a tar) are refused while /v1/health keeps answering', async () => {
  const res = await uploadWhilePolling(gzipBomb(1024));
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'INVALID_SOURCE');
  assert.match(res.body.error.message, /empty|not a \.tar\.gz/);
  await assertNothingLeft();
});

test('a tar bomb (one 1 GiB file of zeros in 1 MB) is refused by its ratio while /v1/health keeps answering', async () => {
  const res = await uploadWhilePolling(tarBomb(1024));
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.match(res.body.error.message, /decompresses to more than 100 times its size/);
  assert.ok(res.body.error.hint.includes('WHARF_MAX_UNPACK_RATIO'), res.body.error.hint);
  await assertNothingLeft();
});

test('a temporary upload left by a crash is removed when the control plane starts', async () => {
  const sources = wharfPaths(wharf.home).sources;
  await wharf.stopServer('SIGKILL');
  await mkdir(path.join(sources, 'abc.tmp-x1'), { recursive: true });
  await writeFile(path.join(sources, 'abc.tmp-x1', 'f'), 'half-unpacked');
  await writeFile(path.join(sources, '.upload-1-2-3.tar.gz'), 'half-received');
  await wharf.startServer();
  assert.deepEqual(await readdir(sources), []);
});
