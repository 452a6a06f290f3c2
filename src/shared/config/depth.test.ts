import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWharfError } from '../../core/errors.js';
import { loadRailwayConfig } from './railway-config.js';
import { readTomlDocument } from './wharf-toml.js';
import { readYaml } from './yaml-source.js';

// Every config reader refuses a file nested 100,000 levels deep with a located error instead of
// overflowing the stack ("Maximum call stack size exceeded").

const N = 100_000;

function refuses(read: () => unknown, located: RegExp) {
  assert.throws(read, (err: unknown) => {
    assert.ok(isWharfError(err), String(err));
    assert.equal(err.code, 'INVALID_CONFIG');
    assert.match(err.message, located);
    assert.ok(err.hint && err.hint.length > 0);
    return true;
  });
}

test('JSON: objects and arrays nested too deep are refused at the bracket, naming the field', () => {
  refuses(() => loadRailwayConfig('railway.json', '{"deploy":' + '{"a":'.repeat(N) + '1' + '}'.repeat(N + 1)), /^railway\.json:1:\d+ deploy(\.a)+: nested more than 32 levels deep$/);
  refuses(() => loadRailwayConfig('railway.json', '{\n  "build": ' + '['.repeat(N) + ']'.repeat(N) + '}'), /^railway\.json:2:\d+ build(\[0\])+: nested more than 32 levels deep$/);
});

test('TOML: dotted keys, table headers and inline values nested too deep are refused', () => {
  const dotted = Array(N).fill('a').join('.');
  refuses(() => loadRailwayConfig('railway.toml', `${dotted} = 1`), /^railway\.toml(:\d+:\d+)? a(\.a)+: nested more than 32 levels deep$/);
  refuses(() => readTomlDocument('wharf.toml', `[${dotted}]\nx = 1`), /^wharf\.toml(:\d+:\d+)? a(\.a)+: nested more than 32 levels deep$/);
  refuses(() => readTomlDocument('wharf.toml', 'a = ' + '['.repeat(N) + ']'.repeat(N)), /^wharf\.toml:1:\d+ .*nested/);
});

test('YAML: flow and block collections nested too deep are refused', () => {
  refuses(() => readYaml('render.yaml', 'services: ' + '['.repeat(N) + ']'.repeat(N)), /^render\.yaml:1:\d+ services(\[0\])+: nested more than 32 levels deep$/);
  refuses(() => readYaml('render.yaml', 'services:\n  - ' + '- '.repeat(N) + 'x\n'), /^render\.yaml:2:\d+ services(\[0\])+: nested more than 32 levels deep$/);
  refuses(() => readYaml('render.yaml', 'a: "[[[[" # [[[[\nb: ' + '{c: '.repeat(N) + '1' + '}'.repeat(N)), /^render\.yaml:2:\d+ b(\.c)+: nested more than 32 levels deep$/);
  let block = '';
  for (let i = 0; i < 200; i++) block += `${' '.repeat(i)}k${i}:\n`;
  refuses(() => readYaml('compose.yaml', block), /^compose\.yaml:32:\d+ k0\.k1(\.k\d+)+: nested more than 32 levels deep$/);
});

test('a config of ordinary depth still reads', () => {
  assert.deepEqual(loadRailwayConfig('railway.json', '{"deploy": {"startCommand": "node s.js"}}').config.deploy, { startCommand: 'node s.js' });
});
