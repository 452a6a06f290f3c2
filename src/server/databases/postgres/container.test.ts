import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatabaseSpec } from '../../../core/database.js';
import { newPgCredentials } from './credentials.js';
import { containerHba, postgresContainer, serverArgs } from './container.js';

const spec: DatabaseSpec = { id: 'db_x', engine: 'postgres', name: 'db', dataDir: '/tmp/db_x', port: 64000, credentials: newPgCredentials('db'), runtime: 'docker' };

test('the server listens on its network at 5432 and archives WAL into its own volume', () => {
  const args = serverArgs();
  assert.deepEqual(args.slice(0, 3), ['postgres', '-D', '/var/lib/postgresql/data/pgdata']);
  assert.ok(args.includes('listen_addresses=*'));
  assert.ok(args.includes('port=5432'));
  assert.ok(args.includes('archive_mode=on'));
  assert.ok(args.some((a) => a.startsWith('archive_command=') && a.includes("'/var/lib/postgresql/data/wal-archive/%f'")));
});

test('one volume per database; passwords only in the prepare step, never in the server command', () => {
  const c = postgresContainer(spec, {});
  assert.equal(c.image, 'postgres:15');
  assert.deepEqual(c.volumes, [{ name: 'db-db_x', mountPath: '/var/lib/postgresql/data' }]);
  assert.equal(c.prepare?.env.WHARF_PG_SUPERUSER_PASSWORD, spec.credentials.superuserPassword);
  const serverText = JSON.stringify([c.command, c.env]);
  for (const secret of [spec.credentials.superuserPassword, spec.credentials.appPassword, spec.credentials.migrationPassword]) assert.ok(!serverText.includes(secret!));
  assert.match(containerHba('postgres'), /host\s+all\s+all\s+0\.0\.0\.0\/0\s+scram-sha-256/);
  assert.doesNotMatch(containerHba('postgres'), /trust/);
});
