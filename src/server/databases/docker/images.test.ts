import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configuredImage, DEFAULT_IMAGES } from './images.js';
import { databaseRuntime } from './runtime-choice.js';

test('each engine runs its official image unless the installation names another', () => {
  assert.deepEqual(DEFAULT_IMAGES, { postgres: 'postgres:15', redis: 'redis:7', mysql: 'mariadb:10.11', mongo: 'mongo:7' });
  assert.equal(configuredImage('postgres', {}), 'postgres:15');
  assert.equal(configuredImage('postgres', { WHARF_DOCKER_IMAGE_POSTGRES: 'wharf-local/postgres:15' }), 'wharf-local/postgres:15');
  assert.equal(configuredImage('mysql', { WHARF_DOCKER_IMAGE_MARIADB: ' my/mariadb:11 ' }), 'my/mariadb:11');
  assert.equal(configuredImage('redis', { WHARF_DOCKER_IMAGE_REDIS: '' }), 'redis:7');
});

test('a new database runs on WHARF_RUNTIME, process by default', () => {
  assert.equal(databaseRuntime({}), 'process');
  assert.equal(databaseRuntime({ WHARF_RUNTIME: 'docker' }), 'docker');
  assert.throws(() => databaseRuntime({ WHARF_RUNTIME: 'swarm' }), /not a runtime/);
});
