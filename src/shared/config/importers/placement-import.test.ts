import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isWharfError } from '../../../core/errors.js';
import { parseWharfToml } from '../wharf-toml.js';
import { importCompose } from './compose.js';
import { importRailway } from './railway.js';
import { importRender } from './render.js';

// Volumes, limits, images and depends_on in every format: what each maps to, and errors that
// name the file, line and field.

const fails = (fn: () => unknown, message: RegExp) => assert.throws(fn, (e) => isWharfError(e) && e.code === 'INVALID_CONFIG' && message.test(e.message), String(message));

const COMPOSE = `name: shop
services:
  web:
    build: .
    ports: ["3000:3000"]
    depends_on:
      api:
        condition: service_healthy
      db:
        condition: service_started
    deploy:
      resources:
        limits: { memory: 512M, cpus: "0.5" }
        reservations: { memory: 256M }
  api:
    image: ghcr.io/acme/api:1.2
    mem_limit: 1g
    cpus: 2
    volumes:
      - api_data:/var/lib/api/
      - ./src:/src
      - type: volume
        source: cache
        target: /cache
      - /tmp/anon
    depends_on: [db]
  db:
    image: postgres:16
volumes:
  api_data:
  cache: { driver: local }
`;

test('compose: image services, named volumes, limits and depends_on', () => {
  const { spec, warnings } = importCompose('docker-compose.yml', COMPOSE);
  assert.deepEqual(spec.services.web!.dependsOn, ['api'], 'a managed database is there before any deploy');
  assert.equal(spec.services.web!.memoryLimit, '512M');
  assert.equal(spec.services.web!.cpuLimit, 0.5);
  assert.equal(spec.services.api!.image, 'ghcr.io/acme/api:1.2');
  assert.equal(spec.services.api!.memoryLimit, '1g');
  assert.equal(spec.services.api!.cpuLimit, 2);
  assert.deepEqual(spec.services.api!.volumes, [
    { name: 'api-data', mountPath: '/var/lib/api' },
    { name: 'cache', mountPath: '/cache' },
  ]);
  assert.deepEqual(Object.keys(spec.databases), ['db']);
  const at = warnings.map((w) => `${w.field}@${w.line}`);
  for (const expected of ['services.web.deploy.resources.reservations@14', 'services.api.volumes[0]@20', 'services.api.volumes[1]@21', 'services.api.volumes[3]@25', 'volumes.cache.driver@31', 'services.api.image@16']) {
    assert.ok(at.includes(expected), `${expected} in ${at.join(', ')}`);
  }
});

test('compose: located errors for a cycle, an unknown dependency, an undeclared volume, a bad size', () => {
  fails(() => importCompose('compose.yaml', 'services:\n  a:\n    image: x/a\n    depends_on: [b]\n  b:\n    image: x/b\n    depends_on:\n      a: {condition: service_healthy}\n'), /^compose\.yaml:\d+:\d+ services\.\w\.depends_on: depends_on makes a cycle: (a → b → a|b → a → b)/);
  fails(() => importCompose('compose.yaml', 'services:\n  a:\n    image: x/a\n    depends_on: [nope]\n'), /^compose\.yaml:4:\d+ services\.a\.depends_on\[0\]: 'nope' is not a service of this file/);
  fails(() => importCompose('compose.yaml', 'services:\n  a:\n    image: x/a\n    volumes: ["data:/data"]\n'), /^compose\.yaml:4:\d+ services\.a\.volumes\[0\]: refers to the volume 'data', which the top-level volumes: does not declare/);
  fails(() => importCompose('compose.yaml', 'services:\n  a:\n    image: x/a\n    mem_limit: lots\n'), /^compose\.yaml:4:\d+ services\.a\.mem_limit: 'lots' is not a memory size/);
  fails(() => importCompose('compose.yaml', 'services:\n  a:\n    image: x/a\n    deploy:\n      resources:\n        limits:\n          cpus: "-1"\n'), /^compose\.yaml:7:\d+ services\.a\.deploy\.resources\.limits\.cpus: expected a number of CPUs/);
  fails(() => importCompose('compose.yaml', 'services:\n  a:\n    image: x/a\n    depends_on:\n      b: {condition: sometime}\n  b:\n    image: x/b\n'), /services\.a\.depends_on\.b\.condition: 'sometime' is not one of service_started/);
});

test('render.yaml: a plan becomes limits, a disk a volume', () => {
  const yaml = `services:
  - type: web
    name: api
    runtime: node
    plan: Pro Plus
    disk:
      name: uploads
      mountPath: /var/data
      sizeGB: 10
  - type: worker
    name: jobs
    runtime: node
    plan: enterprise-xl
`;
  const { spec, warnings } = importRender('render.yaml', yaml);
  assert.equal(spec.services.api!.memoryLimit, '8Gi');
  assert.equal(spec.services.api!.cpuLimit, 4);
  assert.deepEqual(spec.services.api!.volumes, [{ name: 'uploads', mountPath: '/var/data', sizeGB: 10 }]);
  assert.equal(spec.services.jobs!.memoryLimit, undefined);
  assert.ok(warnings.some((w) => w.field === 'services[1].plan' && w.line === 13 && /no size Wharf knows/.test(w.message)));
  fails(() => importRender('render.yaml', 'services:\n  - type: web\n    name: api\n    disk:\n      name: d\n      mountPath: data\n'), /^render\.yaml:6:\d+ services\[0\]\.disk\.mountPath: expected an absolute path/);
  fails(() => importRender('render.yaml', 'services:\n  - type: web\n    name: api\n    disk:\n      name: d\n      mountPath: /d\n      size: 3\n'), /services\[0\]\.disk\.size: unknown field/);
});

test('railway.json deploy.limitOverride → cpuLimit/memoryLimit; a bad value is located', () => {
  const { spec } = importRailway('railway.json', JSON.stringify({ deploy: { limitOverride: { containers: { cpu: 1.5, memoryBytes: 536870912 } } } }));
  assert.equal(spec.services.web!.cpuLimit, 1.5);
  assert.equal(spec.services.web!.memoryLimit, 536870912);
  fails(() => importRailway('railway.json', '{\n  "deploy": {\n    "limitOverride": { "containers": { "memoryBytes": "lots" } }\n  }\n}'), /^railway\.json:3:\d+ deploy\.limitOverride\.containers\.memoryBytes: expected a whole number of bytes/);
});

test('wharf.toml: volumes, limits, image and dependsOn, with located errors', () => {
  const ok = parseWharfToml(
    'wharf.toml',
    `[services.web]
dependsOn = ["api", "db"]
memoryLimit = "1Gi"
cpuLimit = 0.5

[[services.web.volumes]]
name = "data"
mountPath = "/data"

[services.api]
image = "nginx:1.27"

[databases.db]
engine = "postgres"
`,
  );
  assert.deepEqual(ok.spec.services.web!.volumes, [{ name: 'data', mountPath: '/data' }]);
  assert.deepEqual(ok.spec.services.web!.dependsOn, ['api', 'db']);
  assert.equal(ok.spec.services.api!.image, 'nginx:1.27');
  fails(() => parseWharfToml('wharf.toml', '[services.web]\ncpuLimit = "lots"\n'), /^wharf\.toml:2:\d+ services\.web\.cpuLimit: 'lots' is not a CPU count/);
  fails(() => parseWharfToml('wharf.toml', '[services.web]\nmemoryLimit = "1k"\n'), /^wharf\.toml:2:\d+ services\.web\.memoryLimit: 1k is below the smallest memory limit/);
  fails(() => parseWharfToml('wharf.toml', '[services.web]\ndependsOn = ["ghost"]\n'), /^wharf\.toml:2:\d+ services\.web\.dependsOn\[0\]: 'ghost' is not a service or database of this file/);
  fails(() => parseWharfToml('wharf.toml', '[services.a]\ndependsOn = ["b"]\n\n[services.b]\ndependsOn = ["a"]\n'), /^wharf\.toml:5:\d+ services\.b\.dependsOn\[0\]: dependsOn makes a cycle: a → b → a/);
  fails(() => parseWharfToml('wharf.toml', '[[services.web.volumes]]\nname = "data"\nmountPath = "/data"\n\n[[services.web.volumes]]\nname = "data"\nmountPath = "/other"\n'), /services\.web\.volumes\[1\]\.name: a second volume named 'data'/);
  fails(() => parseWharfToml('wharf.toml', '[[services.web.volumes]]\nname = "data"\nmountPath = "/a/../etc"\n'), /services\.web\.volumes\[0\]\.mountPath: expected a folder below \/, without \.\./);
  fails(() => parseWharfToml('wharf.toml', '[[services.web.volumes]]\nname = "data"\nmountpath = "/data"\n'), /services\.web\.volumes\[0\]\.mountPath: expected a string, got nothing \(and 1 more problem\)/);
  assert.throws(
    () => parseWharfToml('wharf.toml', '[[services.web.volumes]]\nname = "data"\nmountpath = "/data"\n'),
    (e) => isWharfError(e) && (e.details as { problems: string[] }).problems.some((p) => /volumes\[0\]\.mountpath: unknown field — did you mean 'mountPath'\?/.test(p)),
  );
});
