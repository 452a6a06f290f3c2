import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { addressKey, connectionLimits, descriptorLimit } from './limits.js';

test('connection caps are sized from the descriptor limit, half left for upstream sockets', () => {
  const limits = connectionLimits({}, { limit: 20_000, source: 'proc' });
  assert.equal(limits.maxConnections, 9_872);
  assert.equal(limits.maxPerAddress, 1_234);
  assert.deepEqual(connectionLimits({}, { limit: 1024, source: 'fallback' }).maxConnections, 384);
});

test('settings: lower caps are kept, higher ones lowered to what the descriptors hold, 0 = no per-address cap', () => {
  const fd = { limit: 1024, source: 'proc' as const };
  assert.equal(connectionLimits({ WHARF_ROUTER_MAX_CONNECTIONS: '100' }, fd).maxConnections, 100);
  assert.equal(connectionLimits({ WHARF_ROUTER_MAX_CONNECTIONS: '100' }, fd).maxPerAddress, 16);
  const high = connectionLimits({ WHARF_ROUTER_MAX_CONNECTIONS: '5000' }, fd);
  assert.equal(high.maxConnections, 384);
  assert.match(high.lowered[0]!, /lowered to 384/);
  assert.equal(connectionLimits({ WHARF_ROUTER_MAX_CONNECTIONS_PER_ADDRESS: '0' }, fd).maxPerAddress, 0);
  assert.throws(() => connectionLimits({ WHARF_ROUTER_MAX_CONNECTIONS: 'many' }, fd), /non-negative integer/);
});

test('the soft limit is read from /proc/self/limits, with a fallback', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-limits-'));
  try {
    const file = path.join(dir, 'limits');
    writeFileSync(file, 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            4096                 524288               files\n');
    assert.deepEqual(descriptorLimit(file), { limit: 4096, source: 'proc' });
    assert.deepEqual(descriptorLimit(path.join(dir, 'missing')), { limit: 1024, source: 'fallback' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('addresses are counted per IPv4 address and per IPv6 /64', () => {
  assert.equal(addressKey('127.0.0.2'), '127.0.0.2');
  assert.equal(addressKey('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(addressKey('2001:db8:0:1::1'), '2001:db8:0:1::/64');
  assert.equal(addressKey('2001:DB8:0000:1:ffff::9'), '2001:db8:0:1::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(addressKey(undefined), '');
});
