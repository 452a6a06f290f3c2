import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyExample, startWharf, type Wharf } from '../helpers/wharf.js';

let wharf: Wharf;
before(async () => {
  wharf = await startWharf();
});
after(async () => {
  await wharf.cleanup();
});

test('wharf init + up deploys the Node example and the router serves it', async () => {
  const dir = await copyExample('node-web', wharf.home);
  const init = await wharf.cli(['init', '--name', 'shop'], { cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  const up = await wharf.cli(['up'], { cwd: dir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
  assert.match(up.stdout, /Deployment #1 is live: http:\/\/web-production-shop\.localhost:\d+/);
  const res = await wharf.get('web-production-shop.localhost', '/');
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(res.body).app, 'node-web');
});
