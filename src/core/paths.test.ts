import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wharfHome, wharfPaths, type HomeFacts } from './paths.js';

const facts = (over: Partial<HomeFacts> & { files?: string[] } = {}): HomeFacts => {
  const files = new Set(over.files ?? []);
  return { env: {}, uid: 1000, userHome: '/home/ann', exists: (f) => files.has(f), ...over };
};

test('WHARF_HOME wins for every user', () => {
  assert.equal(wharfHome(facts({ env: { WHARF_HOME: '/srv/wharf' } })), '/srv/wharf');
  assert.equal(wharfHome(facts({ uid: 0, userHome: '/root', env: { WHARF_HOME: '/srv/wharf', WHARF_SYSTEM_DIR: '/x' } })), '/srv/wharf');
});

test('a user other than root keeps state in ~/.wharf', () => {
  assert.equal(wharfHome(facts()), '/home/ann/.wharf');
  assert.equal(wharfHome(facts({ env: { WHARF_HOME: '' } })), '/home/ann/.wharf', 'an empty WHARF_HOME is unset');
});

test('root keeps state in /var/lib/wharf (WHARF_SYSTEM_DIR moves it), where the postgres user can reach its data', () => {
  assert.equal(wharfHome(facts({ uid: 0, userHome: '/root' })), '/var/lib/wharf');
  assert.equal(wharfHome(facts({ uid: 0, userHome: '/root', env: { WHARF_SYSTEM_DIR: '/tmp/t/var-lib-wharf' } })), '/tmp/t/var-lib-wharf');
});

test("root's older ~/.wharf (a server's state, or a CLI config with its token and links) keeps being used", () => {
  assert.equal(wharfHome(facts({ uid: 0, userHome: '/root', files: ['/root/.wharf'] })), '/root/.wharf');
});

test("the CLI's config file lives in the same home, unless WHARF_CONFIG says otherwise", () => {
  assert.equal(wharfPaths('/var/lib/wharf').cliConfig, process.env.WHARF_CONFIG ?? '/var/lib/wharf/config.json');
});
