import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify as toToml } from 'smol-toml';
import { stringify as toYaml } from 'yaml';
import { WharfError } from '../../src/core/errors.js';
import type { Importer } from '../../src/shared/config/importers/common.js';
import { importCompose } from '../../src/shared/config/importers/compose.js';
import { importProcfile } from '../../src/shared/config/importers/procfile.js';
import { importRailway } from '../../src/shared/config/importers/railway.js';
import { importRender } from '../../src/shared/config/importers/render.js';
import { parseWharfToml } from '../../src/shared/config/wharf-toml.js';
import { runs } from './fuzz.js';

// The config readers take files from uploads and from `wharf validate`/`import`: whatever the
// bytes, a reader returns a spec or throws a WharfError that names the file (and, where it can,
// the line and column), in bounded time. Anything else (a TypeError, a RangeError from a stack
// overflow, a hang) is a bug the user would see as a 500 or a frozen CLI.
//
// Inputs per format: any string; strings made of the format's own tokens and field names (which
// reach deeper than random text); valid documents with random edits; and random values with the
// format's field names, written out as JSON, TOML or YAML (which reach the schema checks).

const fixtures = path.resolve(import.meta.dirname, '../fixtures/config');
const fixture = (p: string) => readFileSync(path.join(fixtures, p), 'utf8');

interface Format {
  file: string;
  read: Importer;
  seeds: string[];
  tokens: string[];
  keys: string[];
  write: (value: unknown) => string;
}

const COMMON_KEYS = ['services', 'environments', 'variables', 'build', 'deploy', 'startCommand', 'buildCommand', 'healthcheckPath', 'name', 'type', 'kind', 'image', 'command', 'ports', 'env', 'envVars', 'key', 'value', 'production', 'staging', 'web', 'worker', 'cron', 'schedule', 'cronSchedule', 'numReplicas', 'plan', 'region', 'databases', 'fromService', 'fromDatabase', 'property', 'generateValue', 'sync', 'healthcheck', 'depends_on', 'environment', 'restart', 'replicas', 'project', 'projects', '$schema', 'restartPolicyType', 'preDeployCommand', 'watchPatterns', 'builder'];
const JSON_TOKENS = ['{', '}', '[', ']', '"', ':', ',', ' ', '\n', '1', '-1e999', '0x1', 'null', 'true', 'false', '"build"', '"deploy"', '"environments"', '"startCommand"', '\\u0000', '\\', '//', '/*', '*/', '\u2028', '\uFEFF'];
const TOML_TOKENS = ['[', ']', '[[', ']]', '=', '"', "'", '"""', "'''", '\n', ' ', '\t', '.', ',', '{', '}', '#', 'a', '1', '1979-05-27T07:32:00Z', 'inf', 'nan', '0x1f', 'true', '\\', '\\u0000', '\r', 'services', 'build', 'deploy', 'web', 'environments', 'variables'];
const YAML_TOKENS = [':', ': ', '-', '- ', ' ', '  ', '\n', '\t', '&a ', '*a', '<<: *a', '{', '}', '[', ']', '"', "'", '|', '>', '!!str ', '!!binary ', '!x ', '#', '---', '...', '? ', '%YAML 1.2\n', 'services', 'envVars', 'key', 'value', 'type', 'web', 'name', 'image', 'environment', '${VAR}', '~', 'null', '0o17', '.inf'];
const PROCFILE_TOKENS = ['web', 'worker', 'release', 'clock', ':', ': ', ' ', '\n', '\r\n', '#', '//', 'npm start', '$PORT', '"', "'", '\\', '\t', '-', '_', 'a', '\0', '\u00e9'];

const FORMATS: Format[] = [
  { file: 'wharf.toml', read: (f, t) => parseWharfToml(f, t), seeds: [fixture('compose/expected.wharf.toml'), fixture('render-full/expected.wharf.toml')], tokens: TOML_TOKENS, keys: COMMON_KEYS, write: (v) => toToml(v as Record<string, unknown>) },
  { file: 'railway.json', read: importRailway, seeds: [fixture('railway-json/railway.json')], tokens: JSON_TOKENS, keys: COMMON_KEYS, write: (v) => JSON.stringify(v, null, 1) },
  { file: 'railway.toml', read: importRailway, seeds: [fixture('railway-cron/railway.toml'), fixture('railway-toml-botflow/railway.toml')], tokens: TOML_TOKENS, keys: COMMON_KEYS, write: (v) => toToml(v as Record<string, unknown>) },
  { file: 'render.yaml', read: importRender, seeds: [fixture('render-full/render.yaml'), fixture('render-botflow/render.yaml')], tokens: YAML_TOKENS, keys: COMMON_KEYS, write: (v) => toYaml(v) },
  { file: 'docker-compose.yml', read: importCompose, seeds: [fixture('compose/docker-compose.yml')], tokens: YAML_TOKENS, keys: COMMON_KEYS, write: (v) => toYaml(v) },
  { file: 'Procfile', read: importProcfile, seeds: [fixture('procfile/Procfile')], tokens: PROCFILE_TOKENS, keys: ['web', 'worker', 'release', 'clock'], write: (v) => procfileOf(v) },
];

function procfileOf(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
}

/** Random edits of a valid document: cut, duplicate, insert tokens, swap characters. */
function edited(seed: string, tokens: string[]): fc.Arbitrary<string> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 8 })) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 80 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 8 }).map((edits) => {
    let text = seed;
    for (const e of edits) {
      const at = e.at % (text.length + 1);
      if (e.kind === 'insert') text = text.slice(0, at) + e.text + text.slice(at);
      else if (e.kind === 'delete') text = text.slice(0, at) + text.slice(at + e.length);
      else text = text.slice(0, at) + text.slice(at, at + e.length) + text.slice(at);
    }
    return text;
  });
}

/** Values shaped like config: objects keyed by the format's field names, any leaves, bounded depth. */
function configValue(keys: string[]): fc.Arbitrary<Record<string, unknown>> {
  const leaf = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('', 'web', 'node server.js', '${{ api.URL }}', '*/5 * * * *', 'RAILPACK', 'ON_FAILURE', '-1', '1e400', '__proto__', 'constructor'),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
  );
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty') });
  const { node } = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(key, tie('node'), { maxKeys: 5 })),
  }));
  return fc.dictionary(key, node, { minKeys: 1, maxKeys: 6 });
}

function inputs(format: Format): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: fc.constantFrom(...format.tokens), maxLength: 60 }),
    ...format.seeds.map((seed) => edited(seed, format.tokens)),
    configValue(format.keys).map((v) => {
      try {
        return format.write(v);
      } catch {
        return JSON.stringify(v); // a value the writer cannot express (TOML has no null)
      }
    }),
  );
}

/** The reader's answer: undefined when it accepted the input, else the error (which must be a located WharfError). */
function readOnce(format: Format, text: string): void {
  try {
    format.read(format.file, text);
  } catch (err) {
    if (!(err instanceof WharfError)) {
      assert.fail(`${format.file}: threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message} for ${JSON.stringify(text.slice(0, 300))}`);
    }
    assert.ok(err.message.startsWith(format.file), `the error names the file: ${err.message}`);
    assert.ok(err.hint, `the error has a hint: ${err.message}`);
  }
}

for (const format of FORMATS) {
  test(`fuzz: ${format.file} never throws anything but a located WharfError`, { timeout: 30_000 }, () => {
    let slowest = 0;
    fc.assert(
      fc.property(inputs(format), (text) => {
        const started = performance.now();
        readOnce(format, text);
        slowest = Math.max(slowest, performance.now() - started);
      }),
      runs(1_000),
    );
    // Not a speed claim: a bound that catches a reader going quadratic or worse on some input.
    assert.ok(slowest < 2_000, `the slowest input took ${Math.round(slowest)} ms`);
  });
}

// The railway.json/toml and wharf.toml readers are bounded at a few thousand levels here; their
// depth limit for 100,000 levels is issue 12 part 7 (its own test).
test('fuzz: deep nesting is a located error or a spec, not a stack overflow or an abort', { timeout: 30_000 }, () => {
  const yaml = FORMATS.filter((f) => f.file.endsWith('.yaml') || f.file.endsWith('.yml'));
  const other = FORMATS.filter((f) => !yaml.includes(f) && f.file !== 'Procfile');
  const deep = fc.oneof(
    fc.record({ format: fc.constantFrom(...yaml), depth: fc.integer({ min: 1, max: 20_000 }), open: fc.constantFrom('[', '{a: ', '- ', '- - ', 'a:\n', '? ') }),
    fc.record({ format: fc.constantFrom(...other), depth: fc.integer({ min: 1, max: 3_000 }), open: fc.constantFrom('[', '{"a":', 'a = [', 'a = {b = ') }),
  );
  fc.assert(
    fc.property(deep, ({ format, depth, open }) => readOnce(format, open.repeat(depth))),
    runs(40),
  );
});
