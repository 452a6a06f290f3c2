import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { WharfError } from '../../src/core/errors.js';
import { MAX_RESOLVED_CHARS, resolveAll, resolveService, SHARED, type ResolveInput } from '../../src/server/variables/references.js';
import { runs } from './fuzz.js';

// The variable reference resolver takes values users write (`${{ api.URL }}`, `${{shared.KEY}}`,
// `${{KEY}}`), from the API and from imported config. Whatever the variables: it returns or
// throws a WharfError (an unknown reference, a cycle, a value too long), never anything else,
// in bounded time; and what it returns is what plain substitution gives (a small oracle below,
// written independently: memoised recursion with an explicit "visiting" set).

const SERVICES = ['web', 'api', 'db', 'Postgres', 'backend-api', '__proto__', 'constructor', SHARED];
const KEYS = ['A', 'B', 'URL', 'PORT', '__proto__', 'toString', 'hasOwnProperty'];
const REFERENCE = /\$\{\{\s*(?:([A-Za-z0-9][A-Za-z0-9_-]*)\.)?([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

const fragment = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('$', '${', '${{', '}}', '{{', '}', '.', ' ', '\n', '$$', '${{ }}', '${{1A}}', '${{a.b.C}}') },
  {
    weight: 4,
    arbitrary: fc
      .record({ ns: fc.option(fc.constantFrom(...SERVICES, 'nope', 'API', 'shared'), { nil: undefined }), key: fc.constantFrom(...KEYS, 'MISSING'), pad: fc.constantFrom('', ' ', '\t', '\n ') })
      .map(({ ns, key, pad }) => `\${{${pad}${ns === undefined ? '' : `${ns}.`}${key}${pad}}}`),
  },
);
const value = fc.array(fragment, { maxLength: 5 }).map((parts) => parts.join(''));

function record(keys: fc.Arbitrary<string>, values: fc.Arbitrary<string>): fc.Arbitrary<Record<string, string>> {
  // Own properties even for '__proto__': as the API builds them (src/server/variables/record.ts).
  return fc.array(fc.tuple(keys, values), { maxLength: 5 }).map((pairs) => {
    const out: Record<string, string> = {};
    for (const [k, v] of pairs) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  });
}

// 'shared' is a valid service name too: `shared.` in a reference still means the shared scope.
const services = fc.uniqueArray(fc.constantFrom(...SERVICES), { maxLength: 5 });
const input: fc.Arbitrary<ResolveInput> = fc
  .record({
    names: services,
    vars: fc.array(record(fc.constantFrom(...KEYS), value), { minLength: 5, maxLength: 5 }),
    shared: record(fc.constantFrom(...KEYS), value),
    platform: fc.array(fc.tuple(fc.constantFrom(...SERVICES.filter((s) => s !== SHARED)), record(fc.constantFrom('PORT', 'RAILWAY_PRIVATE_DOMAIN', 'URL'), fc.oneof(fc.string({ maxLength: 8 }), value))), { maxLength: 3 }),
  })
  .map(({ names, vars, shared, platform }) => {
    const s: Record<string, Record<string, string>> = {};
    names.forEach((n, i) => Object.defineProperty(s, n, { value: vars[i]!, enumerable: true, writable: true, configurable: true }));
    const p: Record<string, Record<string, string>> = {};
    for (const [n, r] of platform) Object.defineProperty(p, n, { value: r, enumerable: true, writable: true, configurable: true });
    return { services: s, shared, platform: p };
  });

class OracleError extends Error {}

/** Plain substitution: what the resolver must agree with. */
function oracle(input: ResolveInput): { values: Record<string, Record<string, string>>; shared: Record<string, string> } {
  const memo = new Map<string, string>();
  const visiting = new Set<string>();
  const has = <T>(r: Record<string, T>, k: string) => (Object.hasOwn(r, k) ? r[k] : undefined);
  const resolve = (scope: string, key: string, isShared: boolean): string => {
    const id = JSON.stringify([isShared, scope, key]);
    const done = memo.get(id);
    if (done !== undefined) return done;
    if (visiting.has(id)) throw new OracleError('cycle');
    visiting.add(id);
    const raw = isShared ? has(input.shared, key)! : has(has(input.services, scope)!, key)!;
    const out = raw.replace(REFERENCE, (_t, ns: string | undefined, k: string) => {
      const target = ns ?? (isShared ? SHARED : scope);
      if (target === SHARED) {
        if (has(input.shared, k) === undefined) throw new OracleError('missing shared');
        return resolve(SHARED, k, true);
      }
      const vars = has(input.services, target);
      if (vars !== undefined && has(vars, k) !== undefined) return resolve(target, k, false);
      const platform = has(input.platform, target);
      if (platform !== undefined && has(platform, k) !== undefined) return has(platform, k)!;
      throw new OracleError('missing');
    });
    visiting.delete(id);
    if (out.length > MAX_RESOLVED_CHARS) throw new OracleError('too long');
    memo.set(id, out);
    return out;
  };
  const values: Record<string, Record<string, string>> = {};
  for (const service of Object.keys(input.services)) {
    const r: Record<string, string> = {};
    for (const key of Object.keys(input.services[service]!)) Object.defineProperty(r, key, { value: resolve(service, key, false), enumerable: true });
    Object.defineProperty(values, service, { value: r, enumerable: true });
  }
  const shared: Record<string, string> = {};
  for (const key of Object.keys(input.shared)) Object.defineProperty(shared, key, { value: resolve(SHARED, key, true), enumerable: true });
  return { values, shared };
}

function attempt<T>(f: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x)) : x))) as unknown;

test('fuzz: the reference resolver agrees with plain substitution, and fails only with a WharfError', { timeout: 30_000 }, () => {
  fc.assert(
    fc.property(input, (vars) => {
      const got = attempt(() => resolveAll(vars));
      const want = attempt(() => oracle(vars));
      if (!got.ok) assert.ok(got.error instanceof WharfError, `threw ${String(got.error)}`);
      if (!want.ok && !(want.error instanceof OracleError)) throw want.error;
      if (got.ok !== want.ok) {
        assert.fail(got.ok ? `resolved, but plain substitution fails: ${(want as { error: Error }).error.message}` : `failed, but plain substitution resolves: ${(got.error as Error).message}`);
      }
      if (got.ok && want.ok) assert.deepEqual(plain(got.value), plain(want.value));
      // One service alone needs only what it reaches: never an error that the whole set lacks.
      for (const service of Object.keys(vars.services)) {
        const one = attempt(() => resolveService(vars, service));
        if (!one.ok) assert.ok(one.error instanceof WharfError && !got.ok, `resolveService(${service}) threw ${String(one.error)}`);
        else if (got.ok) assert.deepEqual(plain(one.value), plain(got.value.values[service]));
      }
    }),
    runs(1_500),
  );
});

test('fuzz: references that double at every level stop at the length limit, quickly', { timeout: 30_000 }, () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 2, max: 6 }), (levels, copies) => {
      const vars: Record<string, string> = { K0: 'x'.repeat(64) };
      for (let i = 1; i <= levels; i++) vars[`K${i}`] = `\${{K${i - 1}}}`.repeat(copies);
      const started = performance.now();
      const result = attempt(() => resolveAll({ services: { web: vars }, shared: {}, platform: {} }));
      assert.ok(result.ok || result.error instanceof WharfError);
      assert.ok(performance.now() - started < 2_000, 'bounded');
    }),
    runs(60),
  );
});
