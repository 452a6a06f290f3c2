import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseSpec } from '../../src/core/database.js';
import { isWharfError } from '../../src/core/errors.js';
import { freePort } from '../../src/server/ports.js';
import { createMysqlProvider } from '../../src/server/databases/mysql/index.js';
import { findBinary, runTool, toolEnv } from '../../src/server/databases/tools.js';
import { startServer, type RunningServer } from '../../src/server/databases/mysql/test-server.js';
import { waitFor } from '../helpers/wait.js';

// The MySQL provider against a real MariaDB server (Debian's mariadb-server): prepare
// (install-db), run its serverCommand, bootstrap, connect through the MYSQL* variables, back up,
// wipe, restore (also into a second database with another name), restart.
// Without mariadbd the suite is skipped with the reason (a failure under CI=true: scripts/run-tests.mjs).

const provider = createMysqlProvider();
const unavailable = await provider.check().then(
  () => null,
  (err: unknown) => (isWharfError(err) ? `${err.message}. ${err.hint ?? ''}` : String(err)),
);

describe('MySQL provider', { skip: unavailable ?? false, timeout: 180_000 }, () => {
  let home: string;
  const servers = new Map<string, RunningServer>();
  const client = findBinary(['mariadb', 'mysql']) ?? 'mariadb';

  const newSpec = async (name: string): Promise<DatabaseSpec> => ({
    id: `db_${name.replace(/-/g, '_')}`,
    engine: 'mysql',
    name,
    dataDir: path.join(home, name),
    port: await freePort(),
    credentials: provider.newCredentials(name),
  });

  const start = async (spec: DatabaseSpec) => {
    const server = startServer(provider.serverCommand(spec));
    servers.set(spec.id, server);
    await waitFor(
      'mariadbd to accept connections',
      async () => {
        if (server.exited()) throw new Error(`mariadbd exited: ${server.log()}`);
        await provider.bootstrap(spec);
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${server.log()}`);
    });
  };

  /** `mariadb` over TCP with the values a service gets (password through MYSQL_PWD). */
  const sql = async (spec: DatabaseSpec, query: string, as: { user?: string; password?: string } = {}) => {
    const v = provider.variables(spec);
    const out = await runTool(
      [client, '--no-defaults', '--batch', '--skip-column-names', '-h', v.MYSQLHOST!, '-P', v.MYSQLPORT!, '-u', as.user ?? v.MYSQLUSER!, '-D', v.MYSQLDATABASE!, '-e', query],
      { cwd: home, env: toolEnv({ MYSQL_PWD: as.password ?? v.MYSQLPASSWORD! }) },
    );
    if (out.exitCode !== 0) throw new Error(out.stderr.trim());
    return out.stdout.trim();
  };

  let spec: DatabaseSpec;

  before(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-mysql-'));
    spec = await newSpec('shop-db');
    await provider.prepare(spec);
    await provider.prepare(spec); // a no-op the second time
    await start(spec);
    await provider.bootstrap(spec); // idempotent
  });

  after(async () => {
    for (const server of servers.values()) await server.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('credentials, my.cnf and variables', () => {
    const c = spec.credentials;
    assert.equal(c.MYSQL_DATABASE, 'shop_db');
    assert.equal(c.MYSQL_USER, 'app');
    assert.match(c.MYSQL_PASSWORD!, /^[a-zA-Z0-9]{32}$/);
    assert.match(c.MYSQL_ROOT_PASSWORD!, /^[a-zA-Z0-9]{32}$/);
    const conf = path.join(spec.dataDir, 'my.cnf');
    assert.equal(fs.statSync(conf).mode & 0o777, 0o600);
    const text = fs.readFileSync(conf, 'utf8');
    assert.match(text, /^bind-address=127\.0\.0\.1$/m);
    assert.match(text, new RegExp(`^port=${spec.port}$`, 'm'));
    const url = `mysql://app:${c.MYSQL_PASSWORD}@127.0.0.1:${spec.port}/shop_db`;
    assert.deepEqual(provider.variables(spec), {
      MYSQL_URL: url,
      MYSQL_PUBLIC_URL: url,
      MYSQLHOST: '127.0.0.1',
      MYSQLPORT: String(spec.port),
      MYSQLUSER: 'app',
      MYSQLPASSWORD: c.MYSQL_PASSWORD,
      MYSQLDATABASE: 'shop_db',
      MYSQL_DATABASE: 'shop_db',
      MYSQL_ROOT_PASSWORD: c.MYSQL_ROOT_PASSWORD,
    });
    assert.deepEqual(provider.migrationVariables(spec), {});
    assert.equal(provider.property(spec, 'connectionString'), url);
    assert.equal(provider.property(spec, 'database'), 'shop_db');
    assert.equal(provider.property(spec, 'user'), 'app');
    assert.equal(provider.property(spec, 'nonsense'), null);
  });

  test('accounts: the app user owns its database only, root needs its password', async () => {
    assert.equal(await sql(spec, 'SELECT CURRENT_USER()'), 'app@%');
    await assert.rejects(sql(spec, 'SELECT COUNT(*) FROM mysql.user'), /denied/);
    await assert.rejects(sql(spec, 'CREATE DATABASE elsewhere'), /denied/);
    await assert.rejects(sql(spec, 'SELECT 1', { password: 'wrong' }), /Access denied/);
    const root = { user: 'root', password: spec.credentials.MYSQL_ROOT_PASSWORD! };
    assert.equal(await sql(spec, 'SELECT CURRENT_USER()', root), 'root@127.0.0.1');
    await assert.rejects(sql(spec, 'SELECT 1', { user: 'root', password: '' }), /Access denied/);
    // No anonymous accounts and no root beyond loopback.
    assert.equal(await sql(spec, "SELECT COUNT(*) FROM mysql.user WHERE user = '' OR (user = 'root' AND host NOT IN ('localhost', '127.0.0.1', '::1'))", root), '0');
  });

  test('connectCommand opens the client as the app user with a 0600 option file', async () => {
    const { argv, env } = provider.connectCommand(spec);
    assert.ok(!argv.some((a) => a.includes(spec.credentials.MYSQL_PASSWORD!)), 'no password in argv');
    const optionFile = argv.find((a) => a.startsWith('--defaults-extra-file='))!.split('=')[1]!;
    assert.equal(fs.statSync(optionFile).mode & 0o777, 0o600);
    const out = await runTool([...argv, '--batch', '--skip-column-names', '-e', 'SELECT CURRENT_USER(), DATABASE()'], { cwd: home, env: toolEnv(env) });
    assert.equal(out.exitCode, 0, out.stderr);
    assert.equal(out.stdout.trim(), 'app@%\tshop_db');
  });

  test('write, back up, wipe, restore, restore elsewhere, restart', async () => {
    await sql(
      spec,
      [
        'CREATE TABLE customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(100) NOT NULL)',
        'CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, customer_id INT NOT NULL, total DECIMAL(10,2), FOREIGN KEY (customer_id) REFERENCES customers(id))',
        "INSERT INTO customers (name) VALUES ('Ada'), ('Grace'), ('Linus')",
        'INSERT INTO orders (customer_id, total) VALUES (1, 9.99), (1, 20.00), (2, 5.50), (3, 1.00), (3, 2.00)',
        'CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 5',
        'CREATE PROCEDURE order_count() SELECT COUNT(*) FROM orders',
      ].join(';\n'),
    );
    assert.deepEqual(await provider.inspect(spec), { customers: 3, orders: 5 });

    const file = path.join(home, 'backups', 'shop.sql');
    const backup = await provider.backup(spec, file);
    assert.equal(backup.format, 'mysqldump sql');
    assert.equal(backup.bytes, fs.statSync(file).size);
    assert.equal(backup.sha256, createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const dumpText = fs.readFileSync(file, 'utf8');
    assert.match(dumpText, /CREATE TABLE `customers`/);
    assert.doesNotMatch(dumpText, /^USE /m, 'the dump is not tied to a database name');

    await sql(spec, 'DROP VIEW big_orders; DROP TABLE orders; DELETE FROM customers; CREATE TABLE added_later (id INT)');
    assert.deepEqual(await provider.inspect(spec), { added_later: 0, customers: 0 });

    await provider.restore(spec, file);
    assert.deepEqual(await provider.inspect(spec), { customers: 3, orders: 5 });
    assert.equal(await sql(spec, 'SELECT name FROM customers ORDER BY id'), 'Ada\nGrace\nLinus');
    assert.equal(await sql(spec, 'SELECT COUNT(*) FROM big_orders'), '3');
    assert.equal(await sql(spec, 'CALL order_count()'), '5');
    await sql(spec, "INSERT INTO customers (name) VALUES ('after restore')");

    // Into a second, new database whose name differs (wharf db restore --to, verification).
    const other = await newSpec('shop-copy');
    await provider.prepare(other);
    await start(other);
    await provider.restore(other, file);
    assert.deepEqual(await provider.inspect(other), { customers: 3, orders: 5 });
    assert.equal(await sql(other, 'SELECT SUM(total) FROM orders'), '38.49');

    // Restart: the data is on disk.
    await servers.get(spec.id)!.stop();
    await start(spec);
    assert.deepEqual(await provider.inspect(spec), { customers: 4, orders: 5 });
  });

  test('check() passes', async () => {
    await provider.check();
  });
});
