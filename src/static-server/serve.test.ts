import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createStaticHandler, pickRoot } from './serve.js';

let dir: string;
let server: http.Server;
let base: string;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-static-'));
  const root = path.join(dir, 'site');
  await fs.mkdir(path.join(root, 'docs'), { recursive: true });
  await fs.writeFile(path.join(root, 'index.html'), '<h1>home</h1>');
  await fs.writeFile(path.join(root, 'style.css'), 'body{}');
  await fs.writeFile(path.join(root, 'docs', 'index.html'), '<h1>docs</h1>');
  await fs.writeFile(path.join(dir, 'secret.txt'), 'secret');
  await fs.symlink('../secret.txt', path.join(root, 'escape.txt'));
  server = http.createServer(createStaticHandler(root));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await fs.rm(dir, { recursive: true, force: true });
});

/** A raw request, so that `..` reaches the server as written. */
function raw(target: string, method = 'GET'): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/`, { method, path: target }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject).end();
  });
}

test('serves index.html, files with their content type, and folders', async () => {
  const home = await raw('/');
  assert.equal(home.status, 200);
  assert.equal(home.body, '<h1>home</h1>');
  assert.match(home.headers['content-type']!, /text\/html/);
  const css = await raw('/style.css');
  assert.equal(css.body, 'body{}');
  assert.match(css.headers['content-type']!, /text\/css/);
  assert.equal((await raw('/docs/')).body, '<h1>docs</h1>');
  const redirect = await raw('/docs');
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, '/docs/');
});

test('HEAD has headers and no body; ETag gives 304', async () => {
  const head = await raw('/style.css', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal(head.headers['content-length'], '6');
  const res = await fetch(`${base}/style.css`, { headers: { 'if-none-match': head.headers.etag! } });
  assert.equal(res.status, 304);
});

test('404 page for missing files', async () => {
  const missing = await raw('/nope.html');
  assert.equal(missing.status, 404);
  assert.match(missing.body, /404/);
});

for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/docs/%2E%2E/%2e%2e/secret.txt', '/..%2fsecret.txt', '/docs/..%2f..%2fsecret.txt', '/escape.txt', '/%00']) {
  test(`no traversal: ${target}`, async () => {
    const res = await raw(target);
    assert.notEqual(res.status, 200);
    assert.ok(!res.body.includes('secret'), res.body);
  });
}

test('pickRoot: the first folder holding index.html', async () => {
  const cwd = path.join(dir, 'pick');
  await fs.mkdir(path.join(cwd, 'public'), { recursive: true });
  await fs.mkdir(path.join(cwd, 'build'), { recursive: true });
  await fs.writeFile(path.join(cwd, 'public', 'index.html'), '');
  assert.equal(await pickRoot(['dist', 'build', 'public', '.'].map((d) => path.join(cwd, d))), path.join(cwd, 'public'));
});
