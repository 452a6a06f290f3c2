import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importCompose } from './compose.js';
import { importRailway } from './railway.js';
import { importRender } from './render.js';

// Each format's way of naming a Dockerfile build lands on the same three settings.

test('compose build.context / dockerfile / target', () => {
  const { spec, warnings } = importCompose('docker-compose.yml', 'services:\n  worker:\n    build:\n      context: ./api\n      dockerfile: Dockerfile.worker\n      target: runtime\n      args: { A: "1" }\n');
  const worker = spec.services.worker!;
  assert.deepEqual([worker.root, worker.dockerfilePath, worker.dockerTarget], ['api', 'Dockerfile.worker', 'runtime']);
  assert.ok(warnings.some((w) => w.field === 'services.worker.build.args'));
  assert.ok(!warnings.some((w) => /dockerfile|target|Docker driver/.test(`${w.field} ${w.message}`)), JSON.stringify(warnings));
});

test('render.yaml runtime: docker with dockerfilePath, dockerContext and dockerCommand', () => {
  const yaml = 'services:\n  - type: worker\n    name: jobs\n    runtime: docker\n    dockerfilePath: ./docker/Dockerfile.jobs\n    dockerContext: ./\n    dockerCommand: node jobs.js\n  - type: web\n    name: web\n    runtime: node\n    dockerfilePath: ./Dockerfile\n';
  const { spec, warnings } = importRender('render.yaml', yaml);
  assert.equal(spec.services.jobs!.dockerfilePath, 'docker/Dockerfile.jobs');
  assert.equal(spec.services.jobs!.dockerContext, '.');
  assert.equal(spec.services.jobs!.startCommand, 'node jobs.js');
  assert.equal(spec.services.web!.dockerfilePath, undefined);
  assert.ok(warnings.some((w) => w.field === 'services[1].dockerfilePath' && /only a service with runtime: docker/.test(w.message)));
  assert.ok(!warnings.some((w) => w.field.startsWith('services[0]')), JSON.stringify(warnings));
});

test('railway.json build.builder DOCKERFILE and build.dockerfilePath', () => {
  const { spec, warnings } = importRailway('railway.json', JSON.stringify({ build: { builder: 'DOCKERFILE', dockerfilePath: 'Dockerfile.web' } }));
  assert.equal(spec.services.web!.builder, 'DOCKERFILE');
  assert.equal(spec.services.web!.dockerfilePath, 'Dockerfile.web');
  assert.deepEqual(warnings, []);
});

test('render.yaml runtime: image with image.url runs that prebuilt image', () => {
  const yaml = 'services:\n  - type: web\n    name: proxy\n    runtime: image\n    image:\n      url: docker.io/library/nginx:1.27\n      creds: x\n  - type: web\n    name: bare\n    runtime: image\n';
  const { spec, warnings } = importRender('render.yaml', yaml);
  assert.equal(spec.services.proxy!.image, 'docker.io/library/nginx:1.27');
  assert.ok(warnings.some((w) => w.field === 'services[0].image.creds'));
  assert.equal(spec.services.bare!.image, undefined);
  assert.ok(warnings.some((w) => w.field === 'services[1].runtime' && /needs image.url/.test(w.message)), JSON.stringify(warnings));
});
