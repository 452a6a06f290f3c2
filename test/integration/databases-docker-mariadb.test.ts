import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createMysqlProvider } from '../../src/server/databases/mysql/index.js';
import { findBinary, runTool, toolEnv } from '../../src/server/databases/tools.js';
import { engineMissing, imageMissing, lab, LOCAL_IMAGES, tools, type Lab } from './databases-docker-helpers.js';

// MariaDB on the docker runtime, on a real engine: a container of wharf-local/mariadb:10.11
// (mariadb:10.11 for users) with its data in a named volume; MYSQL_URL by name on the network,
// the public URL on 127.0.0.1, where the host's mariadb-dump and mariadb back it up and restore.

const skip = (await engineMissing()) ?? (await imageMissing('mysql'));
const provider = createMysqlProvider({ docker: tools });
const client = findBinary(['mariadb', 'mysql']) ?? 'mariadb';

describe('MariaDB on docker', { skip: skip ?? false, timeout: 300_000 }, () => {
  let l: Lab;
  before(async () => {
    l = await lab();
  });
  after(async () => {
    await l?.cleanup();
  });

  test('provision, reach, survive a new container, back up and restore in place', async () => {
    const spec = await l.spec('mysql', 'sql', provider);
    await l.serve(provider, spec);
    const vars = provider.variables(spec);
    assert.equal(vars.MYSQLHOST, 'sql');
    assert.equal(vars.MYSQLPORT, '3306');
    const pub = new URL(vars.MYSQL_PUBLIC_URL!);
    assert.equal(pub.hostname, '127.0.0.1');
    const sql = async (text: string) => {
      const out = await runTool([client, '--protocol=TCP', '-h', '127.0.0.1', '-P', pub.port, '-u', vars.MYSQLUSER!, '--batch', '--skip-column-names', '-e', text, vars.MYSQLDATABASE!], {
        cwd: l.home,
        env: toolEnv({ MYSQL_PWD: vars.MYSQLPASSWORD! }),
      });
      assert.equal(out.exitCode, 0, out.stderr);
      return out.stdout.trim();
    };
    await sql('CREATE TABLE items (id INT PRIMARY KEY, name TEXT); INSERT INTO items VALUES (1, "a"), (2, "b")');

    const fromApp = await l.onNetwork(
      LOCAL_IMAGES.mysql,
      ['sh', '-c', 'mariadb -h "$MYSQLHOST" -P "$MYSQLPORT" -u "$MYSQLUSER" --batch --skip-column-names -e "SELECT COUNT(*) FROM items" "$MYSQLDATABASE"'],
      { MYSQLHOST: vars.MYSQLHOST!, MYSQLPORT: vars.MYSQLPORT!, MYSQLUSER: vars.MYSQLUSER!, MYSQL_PWD: vars.MYSQLPASSWORD!, MYSQLDATABASE: vars.MYSQLDATABASE! },
    );
    assert.equal(fromApp.exitCode, 0, fromApp.output);
    assert.equal(fromApp.output.trim(), '2');

    await l.removeServer(spec);
    await l.serve(provider, spec);
    assert.equal(await sql('SELECT COUNT(*) FROM items'), '2');

    const file = path.join(l.home, 'backup.sql');
    const backup = await provider.backup(spec, file);
    assert.ok(backup.bytes > 0);
    await sql('DELETE FROM items; CREATE TABLE later (x INT)');
    await provider.restore(spec, file);
    assert.deepEqual(await provider.inspect(spec), { items: 2 });
    assert.equal(await sql('SELECT GROUP_CONCAT(name ORDER BY id) FROM items'), 'a,b');
    // The app user keeps its grants on the recreated database.
    await sql('INSERT INTO items VALUES (3, "c")');
  });
});
