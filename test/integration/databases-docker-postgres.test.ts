import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { capture } from '../../src/server/databases/postgres/binaries.js';
import { createPostgresProvider } from '../../src/server/databases/postgres/postgres-provider.js';
import { engineMissing, imageMissing, lab, LOCAL_IMAGES, tools, type Lab } from './databases-docker-helpers.js';

// Postgres on the docker runtime, on a real engine: the server is a container of the image
// (wharf-local/postgres:15 here, postgres:15 for users) with its data in a named volume,
// reachable by name on the private network and on 127.0.0.1:<port> from the host, where the
// usual client tools back it up, restore it and take base backups for PITR.

const skip = (await engineMissing()) ?? (await imageMissing('postgres'));
const provider = createPostgresProvider({ docker: tools });

/** psql on the host with a URL's role (the password in PGPASSWORD). */
async function psql(url: string, sql: string): Promise<string> {
  const u = new URL(url);
  const r = await capture(['psql', '-X', '-v', 'ON_ERROR_STOP=1', '-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), '-d', u.pathname.slice(1), '-At', '-c', sql], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSWORD: decodeURIComponent(u.password), PGSSLMODE: 'disable' },
    timeoutMs: 30_000,
  });
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout.trim();
}

describe('Postgres on docker', { skip: skip ?? false, timeout: 600_000 }, () => {
  let l: Lab;
  before(async () => {
    l = await lab();
  });
  after(async () => {
    await l?.cleanup();
  });

  test('provision, reach, survive a new container, back up and restore, recover to a time', async () => {
    const spec = await l.spec('postgres', 'pgdb', provider);
    await l.serve(provider, spec);
    // Published on the host's loopback only; the data in the database's own named volume.
    const info = await l.docker.getContainer(`wharf-${spec.id}`).inspect();
    assert.deepEqual(info.HostConfig.PortBindings, { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: String(spec.port) }] });
    assert.deepEqual(
      info.Mounts.map((m) => [m.Name, m.Destination]),
      [[`wharf-vol-db-${spec.id}`, '/var/lib/postgresql/data']],
    );
    assert.notEqual(info.Config.User, '');
    assert.notEqual(info.Config.User, '0:0');
    const vars = provider.variables(spec);
    assert.equal(vars.PGHOST, 'pgdb');
    assert.equal(vars.PGPORT, '5432');
    assert.match(vars.DATABASE_URL!, /@pgdb:5432\//);
    const publicUrl = vars.DATABASE_PUBLIC_URL!;
    assert.match(publicUrl, new RegExp(`@127\\.0\\.0\\.1:${spec.port}/`));
    const migration = provider.migrationVariables(spec).DATABASE_MIGRATION_URL!.replace(/@pgdb:5432\//, `@127.0.0.1:${spec.port}/`);

    // Roles as on the process runtime: the migration role makes tables, the app role fills them.
    await psql(migration, 'CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)');
    await psql(publicUrl, "INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 3) g");
    await assert.rejects(psql(publicUrl, 'CREATE TABLE nope (x int)'));

    // From a container on the project network, by the service's name, with DATABASE_URL itself.
    const fromApp = await l.onNetwork(LOCAL_IMAGES.postgres, ['sh', '-c', 'psql "$DATABASE_URL" -At -c "SELECT count(*) FROM items"'], { DATABASE_URL: vars.DATABASE_URL! });
    assert.equal(fromApp.exitCode, 0, fromApp.output);
    assert.equal(fromApp.output.trim(), '3');

    // The container goes, the volume stays: a new container has the data.
    await l.removeServer(spec);
    assert.ok(await l.volumeExists(`db-${spec.id}`));
    await l.serve(provider, spec);
    assert.equal(await psql(publicUrl, 'SELECT count(*) FROM items'), '3');

    // Backup → change → restore in place.
    const dump = path.join(l.home, 'backup.dump');
    const result = await provider.backup(spec, dump);
    assert.ok(result.bytes > 0);
    await psql(publicUrl, "DELETE FROM items WHERE id > 1; INSERT INTO items (name) VALUES ('after backup')");
    await provider.restore(spec, dump);
    assert.equal(await psql(publicUrl, 'SELECT count(*) FROM items'), '3');
    assert.deepEqual(await provider.inspect(spec), { 'public.items': 3 });
    // The app role can still write after the restore (grants applied again).
    await psql(publicUrl, "INSERT INTO items (name) VALUES ('4th')");

    // PITR: a base backup, rows before and after a moment, recovery into a new database.
    const base = await provider.pitr.baseBackup(spec, path.join(l.home, 'base'));
    await psql(publicUrl, "INSERT INTO items (name) VALUES ('before the moment')");
    await provider.archiveNow(spec);
    await new Promise((r) => setTimeout(r, 1100));
    const moment = new Date();
    await new Promise((r) => setTimeout(r, 1100));
    await psql(publicUrl, "INSERT INTO items (name) VALUES ('after the moment')");
    await provider.pitr.archiveNow!(spec);
    const target = await l.spec('postgres', 'pgdb_restored', provider, spec.credentials);
    await provider.pitr.prepareRecovery(spec, base.path, target, moment);
    await l.serve(provider, target);
    const recovered = provider.variables(target).DATABASE_PUBLIC_URL!;
    assert.equal(await psql(recovered, 'SELECT count(*) FROM items'), '5');
    assert.equal(await psql(recovered, "SELECT count(*) FROM items WHERE name = 'after the moment'"), '0');
    // Promoted and read-write; the source is untouched.
    await psql(recovered, "INSERT INTO items (name) VALUES ('in the copy')");
    assert.equal(await psql(publicUrl, 'SELECT count(*) FROM items'), '6');
    // A restart after the recovery drops its settings and starts as a primary.
    await l.removeServer(target);
    await l.serve(provider, target);
    assert.equal(await psql(recovered, 'SELECT count(*) FROM items'), '6');

    // The archive is pruned up to the base backup without touching the server.
    await provider.pitr.pruneArchive(spec, base.path);
    assert.equal(await psql(publicUrl, 'SELECT count(*) FROM items'), '6');
  });

  test('an app redeploy and rollback (containers replaced) leave the database volume alone', async () => {
    const spec = await l.spec('postgres', 'pgapp', provider);
    await l.serve(provider, spec);
    const url = provider.variables(spec).DATABASE_PUBLIC_URL!;
    const migration = provider.migrationVariables(spec).DATABASE_MIGRATION_URL!.replace(/@pgapp:5432\//, `@127.0.0.1:${spec.port}/`);
    await psql(migration, 'CREATE TABLE visits (n int)');
    const inside = provider.variables(spec).DATABASE_URL!;
    // Three "deployments" of an app (deploy, redeploy, rollback): each a new container, removed
    // with its anonymous volumes (`v: true`) as the docker runtime removes an old replica.
    for (const n of [1, 2, 3]) {
      const app = await l.onNetwork(LOCAL_IMAGES.postgres, ['sh', '-c', `psql "$DATABASE_URL" -At -c "INSERT INTO visits VALUES (${n})"`], { DATABASE_URL: inside });
      assert.equal(app.exitCode, 0, app.output);
    }
    assert.ok(await l.volumeExists(`db-${spec.id}`));
    assert.equal(await psql(url, 'SELECT string_agg(n::text, \',\' ORDER BY n) FROM visits'), '1,2,3');
  });
});
