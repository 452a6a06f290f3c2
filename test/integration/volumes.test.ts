import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { httpRequest, parseJson, REPO, startWharf, succeeded, waitFor, type Wharf } from '../helpers/wharf.js';

// A volume on the process runtime, through a real Wharf: a file written by the app is there
// after a redeploy and after a rollback, `wharf volume list --json` shows its size, and a
// backup restores what a later write replaced.

const HOST = 'notes-production-notes.localhost';

interface NoteView {
  note: string;
  deployment: string;
  volume: string;
}

interface VolumeJson {
  name: string;
  service: string;
  volume: string;
  mountPath: string;
  runtime: string;
  sizeBytes: number | null;
  backups: number;
}

let wharf: Wharf;
let dir: string;

async function note(): Promise<NoteView> {
  const res = await wharf.get(HOST, '/');
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body) as NoteView;
}

async function write(text: string): Promise<void> {
  const res = await httpRequest(`http://127.0.0.1:${wharf.routerPort}/`, { host: HOST, method: 'POST', body: text });
  assert.equal(res.status, 200, res.body);
}

/** Waits until the router serves a deployment other than `previous`. */
async function servedAfter(previous: string): Promise<NoteView> {
  let seen: NoteView | null = null;
  await waitFor(
    async () => {
      const res = await wharf.get(HOST, '/');
      if (res.status !== 200) return false;
      seen = JSON.parse(res.body) as NoteView;
      return seen.deployment !== previous;
    },
    { timeoutMs: 60_000, what: () => `a deployment other than ${previous} (last: ${JSON.stringify(seen)})` },
  );
  return seen!;
}

before(async () => {
  wharf = await startWharf();
  dir = path.join(wharf.home, '..', `${path.basename(wharf.home)}-volume-app`);
  await cp(path.join(REPO, 'test/fixtures/volume-app'), dir, { recursive: true });
});

after(async () => {
  await wharf?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a volume keeps its file across a redeploy and a rollback; list shows its size; backup and restore round-trip', async () => {
  succeeded(await wharf.cli(['init', '--name', 'notes'], { cwd: dir }), 'wharf init');
  succeeded(await wharf.cli(['up'], { cwd: dir, timeoutMs: 180_000 }), 'wharf up');
  const first = await note();
  assert.equal(first.volume, 'data');
  await write('kept');

  succeeded(await wharf.cli(['redeploy', '-s', 'notes'], { cwd: dir, timeoutMs: 180_000 }), 'wharf redeploy');
  const second = await servedAfter(first.deployment);
  assert.equal(second.note, 'kept', 'a redeploy keeps the volume');

  succeeded(await wharf.cli(['rollback', '-s', 'notes'], { cwd: dir, timeoutMs: 180_000 }), 'wharf rollback');
  const third = await servedAfter(second.deployment);
  assert.equal(third.note, 'kept', 'a rollback keeps the volume');

  const [listed, ...others] = parseJson<VolumeJson[]>(await wharf.cli(['volume', 'list', '--json'], { cwd: dir }));
  assert.equal(others.length, 0);
  assert.equal(listed!.service, 'notes');
  assert.equal(listed!.mountPath, '/data');
  assert.equal(listed!.runtime, 'process');
  assert.equal(listed!.sizeBytes, 'kept'.length);

  const backup = parseJson<{ id: string; bytes: number }>(await wharf.cli(['volume', 'backup', 'notes/data', '--json'], { cwd: dir }));
  assert.ok(backup.bytes > 0);
  await write('overwritten');
  assert.equal((await note()).note, 'overwritten');
  const restored = parseJson<{ restored: { id: string }; safety: { id: string } }>(await wharf.cli(['volume', 'restore', 'notes', '--yes', '--json'], { cwd: dir }));
  assert.equal(restored.restored.id, backup.id);
  assert.equal((await note()).note, 'kept');
  const backups = parseJson<Array<{ id: string }>>(await wharf.cli(['volume', 'backups', 'notes', '--json'], { cwd: dir }));
  assert.deepEqual(backups.map((b) => b.id).sort(), [backup.id, restored.safety.id].sort());
});
