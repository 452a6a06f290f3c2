import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWharfError } from '../../core/errors.js';
import { expandAlphabet, expandTemplateFunctions, generateInt, generateSecret } from './generate.js';

test('generateSecret: length and alphabet', () => {
  const cases: Array<[number | undefined, string | undefined, RegExp]> = [
    [undefined, undefined, /^[a-zA-Z0-9]{32}$/],
    [16, undefined, /^[a-zA-Z0-9]{16}$/],
    [64, 'a-f0-9', /^[a-f0-9]{64}$/],
    [10, 'a-zA-Z', /^[a-zA-Z]{10}$/],
    [12, '-_a', /^[-_a]{12}$/],
    [12, 'x-', /^[x-]{12}$/],
    [5, '✓', /^✓{5}$/u],
    [1, 'Z', /^Z$/],
  ];
  for (const [length, alphabet, pattern] of cases) assert.match(generateSecret(length, alphabet), pattern, `${length} ${alphabet}`);
  assert.notEqual(generateSecret(), generateSecret());
});

test('expandAlphabet', () => {
  assert.equal(expandAlphabet('a-zA-Z0-9').length, 62);
  assert.deepEqual(expandAlphabet('abca'), ['a', 'b', 'c']);
  assert.deepEqual(expandAlphabet('-a-c-'), ['-', 'a', 'b', 'c']);
  for (const bad of ['', 'z-a']) assert.throws(() => expandAlphabet(bad), (e: unknown) => isWharfError(e) && e.code === 'BAD_REQUEST' && !!e.hint, bad);
});

test('generateSecret draws each character of the alphabet about equally often', () => {
  const counts = new Map<string, number>();
  const draws = 60_000;
  for (let i = 0; i < draws / 4000; i++) for (const c of generateSecret(4000, 'abc')) counts.set(c, (counts.get(c) ?? 0) + 1);
  for (const c of 'abc') assert.ok(Math.abs(counts.get(c)! - draws / 3) < 1000, `${c}: ${counts.get(c)}`);
});

test('generateSecret refuses bad lengths', () => {
  for (const length of [0, -1, 1.5, 5000, Number.NaN]) assert.throws(() => generateSecret(length), /length must be a whole number/, String(length));
});

test('generateInt includes both ends', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) seen.add(generateInt(1, 3));
  assert.deepEqual([...seen].sort(), [1, 2, 3]);
  assert.equal(generateInt(7, 7), 7);
  assert.throws(() => generateInt(5, 1), /not a valid range/);
});

test('expandTemplateFunctions replaces calls once and leaves references and text alone', () => {
  const cases: Array<[string, RegExp]> = [
    ['${{ secret() }}', /^[a-zA-Z0-9]{32}$/],
    ['${{secret(8)}}', /^[a-zA-Z0-9]{8}$/],
    ['${{ secret(32, "a-zA-Z") }}', /^[a-zA-Z]{32}$/],
    ["${{ secret( 6 , 'x' ) }}", /^x{6}$/],
    ['${{ secret(4, "a)b") }}', /^[a)b]{4}$/],
    ['${{ secret(4, "\\"") }}', /^"{4}$/],
    ['pre-${{ randomInt() }}-post', /^pre-\d{1,3}-post$/],
    ['${{ randomInt(10, 12) }}', /^1[0-2]$/],
    ['${{ randomInt(-3, -3) }}', /^-3$/],
    ['postgresql://${{PGUSER}}:${{ secret(16, "a-f") }}@${{RAILWAY_PRIVATE_DOMAIN}}', /^postgresql:\/\/\$\{\{PGUSER\}\}:[a-f]{16}@\$\{\{RAILWAY_PRIVATE_DOMAIN\}\}$/],
    ['no functions ${{ shared.KEY }} ${{ x', /^no functions \$\{\{ shared\.KEY \}\} \$\{\{ x$/],
    ['', /^$/],
  ];
  for (const [value, pattern] of cases) assert.match(expandTemplateFunctions(value), pattern, value);
  const twice = expandTemplateFunctions('${{ secret(12) }}/${{ secret(12) }}').split('/');
  assert.notEqual(twice[0], twice[1], 'each call draws its own value');
});

test('expandTemplateFunctions rejects bad calls with the text and a hint', () => {
  const cases: Array<[string, RegExp]> = [
    ['${{ secrt(32) }}', /no template function 'secrt'/],
    ['${{ secret("32") }}', /argument 1 of secret must be a number/],
    ['${{ secret(32, 5) }}', /argument 2 of secret must be a string/],
    ['${{ secret(1, "a", 2) }}', /at most 2 arguments/],
    ['${{ secret(0) }}', /length must be a whole number/],
    ['${{ randomInt(9, 1) }}', /not a valid range/],
    ['${{ secret(32 }}', /expected ',' or '\)'/],
    ['${{ secret(32) }', /expected '}}'/],
    ['${{ secret("abc) }}', /string is not closed/],
    ['${{ secret(x) }}', /expected a number or a quoted string/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => expandTemplateFunctions(value),
      (err: unknown) => isWharfError(err) && err.code === 'BAD_REQUEST' && message.test(err.message) && err.message.startsWith('${{') && !!err.hint?.includes('randomInt'),
      value,
    );
  }
});
