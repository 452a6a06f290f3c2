import assert from 'node:assert/strict';
import { test } from 'node:test';
import Docker from 'dockerode';
import { isWharfError } from '../../core/errors.js';
import { prebuiltImageArtifact, withDefaultTag } from './prebuilt-image.js';

test('withDefaultTag adds :latest as docker pull does', () => {
  assert.equal(withDefaultTag('nginx'), 'nginx:latest');
  assert.equal(withDefaultTag('127.0.0.1:5000/app'), '127.0.0.1:5000/app:latest');
  assert.equal(withDefaultTag('ghcr.io/org/app:2'), 'ghcr.io/org/app:2');
  assert.equal(withDefaultTag('app@sha256:abc'), 'app@sha256:abc');
});

test('a prebuilt image resolves to its ID; one the engine cannot pull is a BUILD_FAILED naming it', async (t) => {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch {
    if (process.env.CI === 'true') assert.fail('no Docker engine on /var/run/docker.sock (CI needs one)');
    return t.skip('no Docker engine');
  }
  const ref = 'wharf-local/debian:bookworm';
  let present: { Id: string };
  try {
    present = (await docker.getImage(ref).inspect()) as { Id: string };
  } catch {
    if (process.env.CI === 'true') assert.fail(`${ref} is missing (built by .ci/run)`);
    return t.skip(`${ref} is missing`);
  }
  const lines: string[] = [];
  const built = await prebuiltImageArtifact(docker, ref, (line) => lines.push(line));
  assert.deepEqual(built.ref, { kind: 'image', image: ref, digest: present.Id });
  assert.ok((built.sizeBytes ?? 0) > 0);
  assert.match(lines.join('\n'), /already on this engine/);

  // No registry answers here: the pull fails fast and the error says which image.
  const missing = `127.0.0.1:9/wharf-test-missing-${process.pid}:1`;
  await assert.rejects(prebuiltImageArtifact(docker, missing, () => {}), (e) => isWharfError(e) && e.code === 'BUILD_FAILED' && e.message.includes(missing));
  await assert.rejects(prebuiltImageArtifact(docker, 'bad ref; rm -rf /', () => {}), (e) => isWharfError(e) && e.code === 'INVALID_CONFIG');
});
