import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeploymentView } from '../../src/core/api.js';
import { adminToken, copyExample, httpRequest, parseJson, startWharf, type Wharf } from '../helpers/wharf.js';

// Secrets never leak through an error: a value Wharf could never pass to a process (a NUL byte)
// is a 400 that does not quote it, and a failure whose reason carries a secret (here the body of
// a failed post-deploy check) is redacted before it reaches wharf.db, the events, the build log
// and the server's own log.

const SECRET = 'gr33ting-SECRET-4e1d7b';
let wharf: Wharf;
let dir: string;
let token: string;
const api = (p: string) => `http://127.0.0.1:${wharf.apiPort}${p}`;

before(async () => {
  wharf = await startWharf();
  token = await adminToken(wharf);
  dir = await copyExample('node-web', wharf.home);
  assert.equal((await wharf.cli(['init', '--name', 'leaky'], { cwd: dir })).code, 0);
  const up = await wharf.cli(['up'], { cwd: dir });
  assert.equal(up.code, 0, up.stdout + up.stderr);
});
after(async () => {
  await wharf.cleanup();
});

const NUL_VALUE = `before\u0000${SECRET}`;

test('a variable value with a NUL byte is a 400 naming the key, never quoting the value', async () => {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const attempts = [
    ['/v1/projects/leaky/environments/production/services/web/variables', { set: { GREETING: { value: NUL_VALUE, secret: true } } }],
    ['/v1/projects/leaky/environments/production/services/web/variables', { set: { GREETING: NUL_VALUE } }],
    ['/v1/projects/leaky/environments/production/variables', { set: { SHARED_ONE: NUL_VALUE } }],
  ] as const;
  for (const [url, body] of attempts) {
    const res = await httpRequest(api(url), { method: 'PATCH', body: JSON.stringify(body), headers });
    assert.equal(res.status, 400, res.body);
    assert.match(res.body, /NUL byte/);
    assert.match(res.body, /GREETING|SHARED_ONE/);
    assert.doesNotMatch(res.body, /gr33ting/);
  }
  const applied = await httpRequest(api('/v1/projects/leaky/environments/production/apply'), {
    method: 'POST',
    body: JSON.stringify({ spec: { services: { web: { variables: { GREETING: NUL_VALUE } } } } }),
    headers,
  });
  assert.equal(applied.status, 400, applied.body);
  assert.match(applied.body, /NUL byte/);
  assert.doesNotMatch(applied.body, /gr33ting/);
  const vars = await wharf.cli(['variables', '--json'], { cwd: dir });
  assert.equal(vars.code, 0, vars.stderr);
  assert.doesNotMatch(vars.stdout, /GREETING/, 'nothing was stored');
});

test('a failed check whose answer carries a secret is stored, emitted and logged redacted', async () => {
  const set = await wharf.cli(['variables', '--secret', '--skip-deploy', '--set', `GREETING=${SECRET}`], { cwd: dir });
  assert.equal(set.code, 0, set.stderr);
  const settings = await wharf.cli(['settings', '--set', 'postDeployChecks=[{"type":"http","path":"/","bodyContains":"never-there"}]'], { cwd: dir });
  assert.equal(settings.code, 0, settings.stderr);
  const redeploy = await wharf.cli(['redeploy'], { cwd: dir });
  assert.equal(redeploy.code, 1, redeploy.stdout + redeploy.stderr);

  const deployments = parseJson<DeploymentView[]>(await wharf.cli(['deployments', '--json'], { cwd: dir }));
  const failed = deployments[0]!;
  assert.equal(failed.status, 'FAILED');
  const events = await wharf.cli(['events', '--json'], { cwd: dir });
  assert.equal(events.code, 0, events.stderr);
  const buildLog = await wharf.cli(['logs', '--build', '--deployment', failed.id], { cwd: dir });
  assert.equal(buildLog.code, 0, buildLog.stderr);
  assert.match(buildLog.stdout, /\[secret:GREETING\]/, 'the build log shows the failed answer, redacted');
  const db = await readFile(path.join(wharf.home, 'wharf.db'));
  const wal = await readFile(path.join(wharf.home, 'wharf.db-wal')).catch(() => Buffer.alloc(0));
  for (const [where, text] of [
    ['the deployment', JSON.stringify(failed)],
    ['the events', events.stdout],
    ['the build log', buildLog.stdout],
    ['the server log', wharf.serverLog.join('')],
    ['wharf.db', db.toString('latin1') + wal.toString('latin1')],
  ] as const) {
    assert.ok(!text.includes(SECRET), `${where} holds the secret`);
  }
  assert.match(JSON.stringify(failed), /\[secret:GREETING\]/, 'the reason shows where the secret was');
});
