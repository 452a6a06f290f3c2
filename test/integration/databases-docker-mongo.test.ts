import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createMongoProvider } from '../../src/server/databases/mongo/index.js';
import { engineMissing, imageMissing, lab, type Lab } from './databases-docker-helpers.js';

// MongoDB on the docker runtime: mongo:7 (or WHARF_DOCKER_IMAGE_MONGO) with its data in a named
// volume, mongosh and the database tools on the host. Debian packages neither mongod nor an
// image of it, so this suite runs only where an image and the tools exist, as the process
// runtime's MongoDB suite does.

const provider = createMongoProvider({ docker: (await import('./databases-docker-helpers.js')).tools });
const toolsMissing = await provider.check().then(
  () => null,
  () => 'no mongosh/mongodump on the host',
);
const missing = (await engineMissing()) ?? (await imageMissing('mongo')) ?? toolsMissing;
const skip = missing ? `Debian does not package mongod (${missing})` : false;

describe('MongoDB: on docker', { skip, timeout: 300_000 }, () => {
  let l: Lab;
  before(async () => {
    l = await lab();
  });
  after(async () => {
    await l?.cleanup();
  });

  test('MongoDB: provision, survive a new container, back up and restore in place', async () => {
    const spec = await l.spec('mongo', 'docs', provider);
    await l.serve(provider, spec);
    const vars = provider.variables(spec);
    assert.equal(vars.MONGOHOST, 'docs');
    assert.match(vars.MONGO_PUBLIC_URL!, new RegExp(`@127\\.0\\.0\\.1:${spec.port}$`));
    assert.deepEqual(await provider.inspect(spec), {});
    await l.removeServer(spec);
    await l.serve(provider, spec);
    const file = path.join(l.home, 'backup.archive.gz');
    const backup = await provider.backup(spec, file);
    assert.ok(backup.bytes > 0);
    await provider.restore(spec, file);
  });
});
