import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeStatus } from './buildkit-status.js';
import { BuildProgress } from './progress.js';

// BuildKit's StatusResponse, encoded by hand the way protobuf does (field numbers from
// moby/buildkit control.proto), decoded and shown like `docker build --progress=plain`.

function varint(n: bigint): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}
const key = (no: number, wire: number) => varint(BigInt((no << 3) | wire));
const bytes = (no: number, value: Buffer | string) => {
  const b = Buffer.isBuffer(value) ? value : Buffer.from(value);
  return Buffer.concat([key(no, 2), varint(BigInt(b.length)), b]);
};
const num = (no: number, value: bigint) => Buffer.concat([key(no, 0), varint(value)]);
const ts = (ms: number) => Buffer.concat([num(1, BigInt(Math.floor(ms / 1000))), num(2, BigInt((ms % 1000) * 1e6))]);

function vertex(v: { digest: string; name: string; cached?: boolean; started?: number; completed?: number; error?: string }): Buffer {
  return Buffer.concat([
    bytes(1, v.digest),
    bytes(2, 'sha256:input'),
    bytes(3, v.name),
    ...(v.cached ? [num(4, 1n)] : []),
    ...(v.started !== undefined ? [bytes(5, ts(v.started))] : []),
    ...(v.completed !== undefined ? [bytes(6, ts(v.completed))] : []),
    ...(v.error ? [bytes(7, v.error)] : []),
    bytes(8, bytes(1, 'progress-group')),
  ]);
}
const log = (vertexDigest: string, data: string) => Buffer.concat([bytes(1, vertexDigest), bytes(2, ts(0)), num(3, 1n), bytes(4, data)]);
const status = (...parts: Buffer[]) => Buffer.concat(parts).toString('base64');
const trace = (aux: string) => ({ id: 'moby.buildkit.trace', aux });

test('decodeStatus reads vertexes and logs, skipping fields it does not need', () => {
  const s = decodeStatus(status(bytes(1, vertex({ digest: 'd1', name: '[1/2] RUN x', started: 1000, completed: 2500 })), bytes(2, bytes(1, 'status-id')), bytes(3, log('d1', 'hi\n'))));
  assert.deepEqual(s.vertexes, [{ digest: 'd1', name: '[1/2] RUN x', cached: false, started: 1000, completed: 2500, error: '' }]);
  assert.equal(s.logs[0]!.vertex, 'd1');
  assert.equal(s.logs[0]!.data.toString(), 'hi\n');
  assert.throws(() => decodeStatus(Buffer.from([0x0a, 0x05, 0x01]).toString('base64')), /truncated/);
});

test('BuildProgress shows vertexes like --progress=plain and counts cached Dockerfile steps', () => {
  const lines: string[] = [];
  const p = new BuildProgress((l) => lines.push(l));
  p.handle(trace(status(bytes(1, vertex({ digest: 'ctx', name: '[internal] load build context', started: 0, completed: 100, cached: true })))));
  p.handle(trace(status(bytes(1, vertex({ digest: 'a', name: '[build 2/4] RUN npm ci', started: 1000 })))));
  p.handle(trace(status(bytes(3, log('a', 'added 3 packages\npart')), bytes(3, log('a', 'ial line\n')))));
  p.handle(trace(status(bytes(1, vertex({ digest: 'a', name: '[build 2/4] RUN npm ci', started: 1000, completed: 2200 })))));
  p.handle(trace(status(bytes(1, vertex({ digest: 'b', name: '[build 3/4] COPY . .', cached: true, started: 3000, completed: 3000 })))));
  p.handle(trace(status(bytes(1, vertex({ digest: 'c', name: '[build 4/4] RUN false', started: 4000, completed: 4100, error: 'exit code: 1' })))));
  p.handle({ id: 'moby.image.id', aux: { ID: 'sha256:abc' } });
  p.handle({ stream: 'Successfully tagged x:y\n' });
  const shown = lines.map((l) => l.replace(/^(#\d+) \d+\.\d+ /, '$1 '));
  assert.deepEqual(shown, [
    '#1 [internal] load build context',
    '#1 CACHED',
    '#2 [build 2/4] RUN npm ci',
    '#2 added 3 packages',
    '#2 partial line',
    '#2 DONE 1.2s',
    '#3 [build 3/4] COPY . .',
    '#3 CACHED',
    '#4 [build 4/4] RUN false',
    '#4 ERROR: exit code: 1',
    'Successfully tagged x:y',
  ]);
  assert.equal(p.cachedSteps, 1, 'loading the context is not a step');
  assert.equal(p.imageId, 'sha256:abc');
});

test('BuildProgress: legacy text, "Using cache", errors, and an unreadable trace never throws', () => {
  const lines: string[] = [];
  const p = new BuildProgress((l) => lines.push(l));
  p.handle({ stream: 'Step 1/2 : FROM x\n ---> 123\nStep 2/2 : RUN y\n ---> Using cache\n' });
  p.handle({ stream: ' ---> 456\nno newline yet' });
  p.handle(trace('////'));
  p.handle({ aux: { ID: 'sha256:def' } });
  p.handle({ errorDetail: { message: 'boom' }, error: 'boom' });
  p.flush();
  assert.deepEqual(lines, ['Step 1/2 : FROM x', ' ---> 123', 'Step 2/2 : RUN y', ' ---> Using cache', ' ---> 456', 'ERROR: boom', 'no newline yet']);
  assert.equal(p.cachedSteps, 1);
  assert.equal(p.error, 'boom');
  assert.equal(p.imageId, 'sha256:def');
});

test('a cached FROM is not a cached step', () => {
  const p = new BuildProgress(() => undefined);
  p.handle(trace(status(bytes(1, vertex({ digest: 'f', name: '[stage-1 1/3] FROM docker.io/library/debian', cached: true, started: 0, completed: 0 })))));
  assert.equal(p.cachedSteps, 0);
});
