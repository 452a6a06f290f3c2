import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isWharfError } from '../../src/core/errors.js';
import type { ImportResult } from '../../src/core/project-spec.js';
import { wharfJsonSchemaText } from '../../src/shared/config/json-schema.js';
import { findProjectFile, IMPORTERS, projectFileKind, readProjectFile } from '../../src/shared/config/project-file.js';
import { parseWharfToml } from '../../src/shared/config/wharf-toml.js';
import { specToToml } from '../../src/shared/config/write-toml.js';

// Every importer against realistic files: the spec equals the reviewed expected.wharf.toml,
// writing it back round-trips, and what is not mapped is a warning with its line.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'test/fixtures/config');
const cases = readdirSync(fixtures).filter((c) => readdirSync(path.join(fixtures, c)).includes('expected.wharf.toml'));

function load(name: string): { file: string; result: ImportResult; expected: ImportResult } {
  const dir = path.join(fixtures, name);
  const file = readdirSync(dir).find((f) => f !== 'expected.wharf.toml')!;
  const kind = projectFileKind(file);
  assert.ok(kind, file);
  const result = IMPORTERS[kind](file, readFileSync(path.join(dir, file), 'utf8'));
  const expected = parseWharfToml('expected.wharf.toml', readFileSync(path.join(dir, 'expected.wharf.toml'), 'utf8'));
  return { file, result, expected };
}

test('there is a fixture for every format', () => {
  const kinds = new Set(cases.map((c) => projectFileKind(load(c).file)));
  assert.deepEqual([...kinds].sort(), ['compose', 'procfile', 'railway', 'render']);
});

for (const name of cases) {
  test(`${name}: imports to expected.wharf.toml, round-trips, warnings have positions`, () => {
    const { file, result, expected } = load(name);
    assert.deepEqual(result.spec, expected.spec);
    assert.deepEqual(parseWharfToml('wharf.toml', specToToml(result.spec, ['a header', 'over two lines'])).spec, result.spec);
    for (const w of result.warnings) {
      assert.equal(w.file, file);
      assert.ok(w.line !== undefined && w.column !== undefined, `${w.field} has no position`);
    }
  });
}

/** `field@line` for each warning, to assert by. */
function warned(name: string): string[] {
  return load(name).result.warnings.map((w) => `${w.field}@${w.line}`);
}

function includesAll(actual: string[], expected: string[]): void {
  for (const e of expected) assert.ok(actual.includes(e), `missing warning ${e}; got:\n${actual.join('\n')}`);
}

test('railway.json: every unsupported field is named with its line', () => {
  includesAll(warned('railway-json'), [
    'build.watchPatterns@6',
    'build.railpackVersion@7',
    'deploy.sleepApplication@20',
    'deploy.region@21',
    'deploy.multiRegionConfig@22',
    'deploy.requiredMountPath@24',
    'deploy.ipv6EgressEnabled@25',
    'deploy.runtime@26',
    'environments.pr@32',
  ]);
});

test('railway.toml: [deploy.multiRegionConfig] tables are warned at their lines; the Dockerfile builder and path are mapped', () => {
  includesAll(warned('railway-toml-botflow'), ['build.watchPatterns@6', 'deploy.sleepApplication@15', 'deploy.multiRegionConfig@17']);
  assert.ok(!warned('railway-toml-botflow').some((w) => /^build\.(builder|dockerfilePath)@/.test(w)));
  includesAll(warned('railway-cron'), ['build.builder@3', 'build.nixpacksPlan@4']);
});

test('render.yaml: unsupported fields, autoscaling, private services, names', () => {
  const w = warned('render-full');
  includesAll(w, [
    'previews@3',
    'services[0].name@9',
    'services[0].repo@11',
    'services[0].branch@12',
    'services[0].region@14',
    'services[0].autoDeployTrigger@22',
    'services[0].buildFilter@23',
    'services[0].disk@29',
    'services[1].type@96',
    'services[2].scaling@110',
    'services[3].runtime@121',
    'services[4].headers@131',
    'services[4].routes@135',
    'services[6].maxmemoryPolicy@150',
    'databases[0].databaseName@154',
    'databases[0].plan@156',
    'databases[0].highAvailability@161',
  ]);
  const messages = load('render-full').result.warnings.map((x) => x.message);
  assert.ok(messages.some((m) => m.startsWith('private service: Wharf also routes it publicly, like web')));
  assert.ok(messages.some((m) => /autoscaling is not supported; runs minInstances \(2\)/.test(m)));
  assert.ok(messages.some((m) => m.includes("imported as 'shop-api'")));
  includesAll(warned('render-botflow'), ['services[0].scaling@11', 'services[2].maxmemoryPolicy@54']);
  assert.ok(!warned('render-botflow').some((w) => /^services\[0\]\.(runtime|dockerfilePath)@/.test(w)), 'runtime: docker and dockerfilePath are mapped');
  includesAll(warned('render-projects'), ['projects[0].name@2', 'projects[0].environments[0].networking@10', 'projects[0].environments[1].name@24']);
});

test('Procfile and compose: renamed process types and every unmapped key', () => {
  includesAll(warned('procfile'), ['urgent_worker@4']);
  includesAll(warned('compose'), [
    'version@1',
    'services.web.ports@14',
    'services.web.environment.SECRET_KEY@20',
    'services.web.env_file@21',
    'services.web.healthcheck.start_period@30',
    'services.worker.environment[2]@46',
    'services.beat.healthcheck.test@57',
    'services.db.environment@61',
    'services.cache.ports@69',
    'services.mailhog.image@73',
  ]);
});

function fails(kind: keyof typeof IMPORTERS, file: string, text: string): string {
  try {
    IMPORTERS[kind](file, text);
  } catch (err) {
    assert.ok(isWharfError(err), String(err));
    assert.equal(err.code, 'INVALID_CONFIG');
    assert.ok(err.hint, 'an error has a hint');
    return err.message;
  }
  assert.fail('expected an INVALID_CONFIG error');
}

test('wharf.toml: errors name file:line:col, the field and what is expected', () => {
  const text = `name = "shop"\nenvironments = ["production", "staging"]\n\n[services.web]\nstartCommand = "node x"\n\nhealthCheckPath = "/h"\n`;
  assert.equal(fails('wharf', 'wharf.toml', text), "wharf.toml:7:1 services.web.healthCheckPath: unknown field — did you mean 'healthcheckPath'?");
  assert.equal(fails('wharf', 'wharf.toml', `[services.web]\nkind = "wrker"\n`), "wharf.toml:2:1 services.web.kind: 'wrker' is not one of web, worker, cron, static — did you mean 'worker'?");
  assert.equal(fails('wharf', 'wharf.toml', `[services.web]\n  numReplicas = 0\n`), 'wharf.toml:2:3 services.web.numReplicas: expected a whole number from 1 to 50, got 0');
  assert.equal(
    fails('wharf', 'wharf.toml', `[services.web.variables]\nA = "x"\nB = 5\n`),
    'wharf.toml:3:1 services.web.variables.B: expected a string or a table { value, secret, sealed, generate, required }, got 5',
  );
  assert.equal(fails('wharf', 'wharf.toml', `[services.web.environments.staging]\nkind = "web"\n`), 'wharf.toml:2:1 services.web.environments.staging.kind: unknown field');
  assert.equal(fails('wharf', 'wharf.toml', `[databases.db]\nengine = "postgress"\n`), "wharf.toml:2:1 databases.db.engine: 'postgress' is not one of postgres, redis, mysql, mongo — did you mean 'postgres'?");
  assert.match(fails('wharf', 'wharf.toml', `[services.Web]\nkind = "web"\n`), /^wharf\.toml:1:\d+ services\.Web: 'Web' is not a valid name/);
  assert.match(fails('wharf', 'wharf.toml', `[services.web\n`), /^wharf\.toml:1:\d+ /);
  assert.match(fails('wharf', 'wharf.toml', `[services.web]\nnumReplica = 2\nkind = "x"\n`), /\(and 1 more problem\)$/);
});

test('railway: malformed files name file:line:col and the field', () => {
  assert.equal(fails('railway', 'railway.json', `{\n  "deploy": {\n    "healthCheckPath": "/h"\n  }\n}`), "railway.json:3:5 deploy.healthCheckPath: unknown field — did you mean 'healthcheckPath'?");
  assert.equal(fails('railway', 'railway.toml', `[deploy]\npreDeployCommand = ["ok", 3]\n`), 'railway.toml:2:1 deploy.preDeployCommand[1]: expected a command string or a list of them, got 3');
  assert.match(fails('railway', 'railway.toml', `[deploy]\nnumReplicas = = 2\n`), /^railway\.toml:2:\d+ /);
});

test('render.yaml: malformed files name file:line:col and the field', () => {
  const base = (type: string) => `services:\n  - type: web\n    name: api\n    startCommand: node a.js\n  - name: worker\n    type: ${type}\n`;
  assert.equal(fails('render', 'render.yaml', base('webservice')), "render.yaml:6:11 services[1].type: 'webservice' is not one of web, worker, cron, pserv, static, keyvalue, redis — did you mean 'web'?");
  assert.equal(fails('render', 'render.yaml', `services:\n  - type: web\n    name: api\n    startComand: x\n`), "render.yaml:4:5 services[0].startComand: unknown field — did you mean 'startCommand'?");
  assert.equal(fails('render', 'render.yaml', `services:\n  - type: cron\n    name: job\n    startCommand: x\n`), "render.yaml:2:5 services[0].type: a cron job needs a schedule (e.g. schedule: '0 2 * * *')");
  assert.equal(
    fails('render', 'render.yaml', `services:\n  - type: web\n    name: api\n    envVars:\n      - key: A\n        value: x\n        sync: false\n`),
    'render.yaml:7:9 services[0].envVars[0].sync: cannot specify both value and sync',
  );
  assert.equal(
    fails('render', 'render.yaml', `services:\n  - type: web\n    name: api\n    envVars:\n      - key: DB\n        fromDatabase:\n          name: db\n          property: url\n`),
    "render.yaml:8:21 services[0].envVars[0].fromDatabase.property: 'url' is not one of connectionString, host, port, user, password, database",
  );
  assert.equal(fails('render', 'render.yaml', `services:\n  - type: web\n    name: api\n    numInstances: 0\n`), 'render.yaml:4:19 services[0].numInstances: expected a whole number from 1 to 50, got 0');
  assert.equal(fails('render', 'render.yaml', `envVarGroups:\n  - name: g\n    envVars:\n      - key: A\n        sync: false\n`), 'render.yaml:5:9 envVarGroups[0].envVars[0].sync: not allowed in an environment group (only value and generateValue are)');
  assert.match(fails('render', 'render.yaml', `services:\n  - type: web\n   name: api\n`), /^render\.yaml:3:\d+ /);
  assert.equal(fails('render', 'render.yaml', `servics: []\n`), "render.yaml:1:1 servics: unknown field — did you mean 'services'?");
});

test('Procfile and compose: malformed files name file:line and the field', () => {
  assert.equal(fails('procfile', 'Procfile', `web: node a.js\nworker node b.js\n`), "Procfile:2: expected '<name>: <command>', got 'worker node b.js'");
  assert.equal(fails('compose', 'docker-compose.yml', `services:\n  web:\n    build: .\n    restart: sometimes\n`), "docker-compose.yml:4:14 services.web.restart: 'sometimes' is not one of no, always, on-failure, unless-stopped");
  assert.equal(fails('compose', 'docker-compose.yml', `services:\n  web:\n    build: .\n    deploy:\n      replicas: many\n`), 'docker-compose.yml:5:17 services.web.deploy.replicas: expected a whole number from 1 to 50, got "many"');
  assert.equal(fails('compose', 'docker-compose.yml', `services: [web]\n`), 'docker-compose.yml:1:11 services: expected a mapping of services, got a list');
  assert.equal(fails('compose', 'docker-compose.yml', `services:\n  web:\n    build: .\n    environment:\n      - 1BAD=x\n`), "docker-compose.yml:5:9 services.web.environment[0]: '1BAD' is not a variable name: use letters, digits and underscores, not starting with a digit");
});

test('railway importer: a service name from the options, default web', () => {
  assert.deepEqual(Object.keys(IMPORTERS.railway('railway.json', '{ "deploy": { "startCommand": "x" } }', { serviceName: 'api' }).spec.services), ['api']);
});

test('findProjectFile / readProjectFile: order, and a Procfile with only web is not a project file', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-project-file-'));
  try {
    assert.equal(await findProjectFile(dir), null);
    assert.equal(await readProjectFile(dir), null);
    await fs.writeFile(path.join(dir, 'railway.json'), '{ "deploy": { "startCommand": "node a.js" } }');
    assert.deepEqual(await findProjectFile(dir), { kind: 'railway', file: 'railway.json' });
    assert.deepEqual(Object.keys((await readProjectFile(dir, { serviceName: 'api' }))!.spec.services), ['api']);
    await fs.writeFile(path.join(dir, 'railway.toml'), '[deploy]\nstartCommand = "node a.js"\n');
    assert.deepEqual(await findProjectFile(dir), { kind: 'railway', file: 'railway.toml' });
    await fs.writeFile(path.join(dir, 'Procfile'), 'web: node a.js\n');
    assert.equal((await findProjectFile(dir))!.kind, 'railway');
    await fs.writeFile(path.join(dir, 'Procfile'), 'web: node a.js\nrelease: node migrate.js\n');
    assert.equal((await findProjectFile(dir))!.kind, 'procfile');
    await fs.writeFile(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    build: .\n');
    assert.deepEqual(await findProjectFile(dir), { kind: 'compose', file: 'compose.yaml' });
    await fs.writeFile(path.join(dir, 'docker-compose.yml'), 'services:\n  web:\n    build: .\n');
    assert.deepEqual(await findProjectFile(dir), { kind: 'compose', file: 'docker-compose.yml' });
    await fs.writeFile(path.join(dir, 'render.yaml'), 'services:\n  - type: web\n    name: api\n');
    assert.equal((await findProjectFile(dir))!.kind, 'render');
    await fs.writeFile(path.join(dir, 'wharf.toml'), '[services.site]\nkind = "static"\n');
    const read = await readProjectFile(dir);
    assert.equal(read!.kind, 'wharf');
    assert.equal(read!.spec.services.site!.kind, 'static');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('docs/wharf.schema.json is up to date', () => {
  const committed = readFileSync(path.join(root, 'docs/wharf.schema.json'), 'utf8');
  assert.equal(committed, wharfJsonSchemaText(), 'docs/wharf.schema.json is stale: run `node --import tsx scripts/write-schema.ts` and commit it');
});
