import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverOptionsFromEnv, serviceHost } from './options.js';

test('the default host names the service, the environment and the project', () => {
  const options = serverOptionsFromEnv({});
  assert.equal(serviceHost(options, { service: 'web', environment: 'production', project: 'shop' }), 'web-production-shop.localhost');
  assert.equal(serviceHost(options, { service: 'web', environment: 'pr-42', project: 'blog' }), 'web-pr-42-blog.localhost');
});

test('a configured pattern and base domain are used as given', () => {
  const options = serverOptionsFromEnv({ WHARF_HOST_PATTERN: '{project}.{service}.{base}', WHARF_BASE_DOMAIN: 'apps.example.com' });
  assert.equal(serviceHost(options, { service: 'api', environment: 'production', project: 'shop' }), 'shop.api.apps.example.com');
});

test('a label longer than 63 characters is shortened with a hash, stays unique and valid', () => {
  const options = serverOptionsFromEnv({});
  const long = 'a'.repeat(40);
  const one = serviceHost(options, { service: long, environment: 'production', project: `${long.slice(0, 39)}b` });
  const two = serviceHost(options, { service: long, environment: 'production', project: `${long.slice(0, 39)}c` });
  assert.notEqual(one, two);
  for (const host of [one, two]) {
    const [label, base] = host.split('.');
    assert.equal(base, 'localhost');
    assert.ok(label!.length <= 63, label);
    assert.match(label!, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  }
  assert.equal(one, serviceHost(options, { service: long, environment: 'production', project: `${long.slice(0, 39)}b` }), 'the same names give the same host');
});
