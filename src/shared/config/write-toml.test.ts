import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectSpecSchema } from '../../core/project-spec.js';
import { duration, shellQuote } from './importers/compose.js';
import { parseWharfToml } from './wharf-toml.js';
import { specToToml } from './write-toml.js';

test('specToToml: awkward strings, overrides with only variables, header comments round-trip', () => {
  const spec = projectSpecSchema.parse({
    name: 'shop',
    runtime: 'docker',
    environments: ['production', 'staging', 'pr-42'],
    shared: { variables: { QUOTE: 'say "hi"\\n', MULTI: 'a\nb\tc', UNI: 'café ☕', DEL: 'x\u007fy' }, environments: { staging: { variables: { A: { value: '1', secret: true } } } } },
    services: {
      web: { root: 'apps/web', startCommand: "node -e 'x'", numReplicas: 2, livenessIntervalSeconds: 0.5, domains: ['a.test'], environments: { staging: { variables: { B: 'b' } }, 'pr-42': { numReplicas: 1 } } },
      job: { kind: 'cron', schedule: '@daily', startCommand: 'node job.js', variables: { S: { generate: 'secret', secret: true }, R: { required: true } } },
    },
    databases: { db: { engine: 'postgres', version: '17' } },
  });
  const text = specToToml(spec, ['line one', '', 'line # three']);
  assert.match(text, /^# line one\n#\n# line # three\n\nname = "shop"/);
  assert.deepEqual(parseWharfToml('wharf.toml', text).spec, spec);
  assert.ok(!text.includes('root = "."'), 'the default root is left out');
});

test('runtime: "process" or "docker"; anything else is a located error with a hint', () => {
  assert.equal(parseWharfToml('wharf.toml', 'runtime = "process"\n').spec.runtime, 'process');
  assert.equal(parseWharfToml('wharf.toml', 'name = "x"\n').spec.runtime, undefined);
  assert.throws(
    () => parseWharfToml('wharf.toml', 'name = "x"\nruntime = "dokcer"\n'),
    (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'INVALID_CONFIG');
      assert.match(error.message, /^wharf\.toml:2:\d+ runtime: 'dokcer' is not one of process, docker — did you mean 'docker'\?/);
      assert.match(error.hint ?? '', /config-as-code/);
      return true;
    },
  );
});

test('specToToml: an empty project is valid TOML', () => {
  const spec = projectSpecSchema.parse({});
  assert.deepEqual(parseWharfToml('wharf.toml', specToToml(spec)).spec, spec);
});

test('shellQuote and duration', () => {
  assert.equal(['gunicorn', 'app:wsgi', '--bind', '0.0.0.0:8000', "it's", ''].map(shellQuote).join(' '), `gunicorn app:wsgi --bind 0.0.0.0:8000 'it'\\''s' ''`);
  assert.equal(duration('1m30s'), 90);
  assert.equal(duration('500ms'), 0.5);
  assert.equal(duration('soon'), null);
});
