import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { WharfError } from '../../core/errors.js';
import { MAX_CONFIG_DEPTH as MAX_YAML_DEPTH } from './depth.js';
import { readYaml } from './yaml-source.js';

// Deep YAML ('- - - …') once aborted the whole process: the yaml package's recursion ran out of
// stack while V8 was compiling a regular expression, a fatal "out of memory" and not an error
// (found by test/fuzz/config-readers.test.ts). In a child, so that an abort fails this test
// instead of ending the test run.
test('deeply nested YAML is a located error, and the process survives reading it twice', () => {
  const script = `
    import { readYaml } from ${JSON.stringify(path.join(import.meta.dirname, 'yaml-source.ts'))};
    for (let i = 0; i < 3; i++) {
      try { readYaml('render.yaml', '- '.repeat(1000)); } catch (err) { if (i === 2) console.log(err.message); }
    }`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.status, 0, `the child exited ${child.status ?? child.signal}: ${child.stderr.slice(0, 400)}`);
  assert.match(child.stdout, /^render\.yaml:1:\d+ .*nested more than 32 levels deep/);
});

test('the depth limit counts block and flow collections, and leaves ordinary files alone', () => {
  const deepFlow = '{a: '.repeat(MAX_YAML_DEPTH + 1) + '1' + '}'.repeat(MAX_YAML_DEPTH + 1);
  assert.throws(() => readYaml('compose.yml', deepFlow), (err: unknown) => err instanceof WharfError && /^compose\.yml:1:\d+ .*nested more than/.test(err.message));
  const indented = Array.from({ length: MAX_YAML_DEPTH + 2 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1';
  assert.throws(() => readYaml('render.yaml', indented), (err: unknown) => err instanceof WharfError && /^render\.yaml:\d+:\d+ .*nested more than/.test(err.message));
  const ok = readYaml('render.yaml', 'services:\n  - type: web\n    name: api\n    envVars:\n      - key: A\n        value: b\n');
  assert.deepEqual(ok.value, { services: [{ type: 'web', name: 'api', envVars: [{ key: 'A', value: 'b' }] }] });
});

test('aliases the yaml package cannot resolve are located errors, not plain exceptions', () => {
  assert.throws(() => readYaml('render.yaml', 'a: *nope\n'), (err: unknown) => err instanceof WharfError && /^render\.yaml:1:4 Unresolved alias/.test(err.message));
  assert.throws(() => readYaml('compose.yml', '<<: *aweb'), (err: unknown) => err instanceof WharfError && /^compose\.yml/.test(err.message));
});
