import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isWharfError } from '../../src/core/errors.js';
import { dockerTools } from '../../src/server/databases/docker/docker-tools.js';
import { resolveImage } from '../../src/server/databases/docker/images.js';
import { engineMissing, imageMissing, tools } from './databases-docker-helpers.js';

// A database's image on a real engine: a present one resolves to its image ID, a missing one is
// pulled, and with no registry in reach (this machine) the error names the setting to change.

const skip = (await engineMissing()) ?? (await imageMissing('redis'));

describe('database images on docker', { skip: skip ?? false, timeout: 120_000 }, () => {
  test('a configured image the engine has resolves to its image ID', async () => {
    const docker = await tools.client();
    const resolved = await tools.image('redis');
    assert.equal(resolved.kind, 'image');
    assert.equal(resolved.image, process.env.WHARF_DOCKER_IMAGE_REDIS);
    assert.equal(resolved.digest, (await docker.getImage(resolved.image).inspect()).Id);
  });

  test('an image no registry gives is an error naming the engine’s setting', async () => {
    const missing = dockerTools({ ...process.env, WHARF_DOCKER_IMAGE_POSTGRES: 'wharf-test-missing/postgres:0' });
    const error = await missing.image('postgres').then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(isWharfError(error), String(error));
    assert.match(error.message, /could not pull the database image wharf-test-missing\/postgres:0/);
    assert.match(error.hint ?? '', /WHARF_DOCKER_IMAGE_POSTGRES/);
    await assert.rejects(resolveImage(await tools.client(), 'wharf-test-missing/none:0'), /could not pull/);
  });
});
