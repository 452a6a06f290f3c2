import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWharfError } from '../../core/errors.js';
import { checkReferences, dependencyOrder, parseReferences, resolveAll, resolveService, type ResolveInput } from './references.js';

function input(partial: Partial<ResolveInput>): ResolveInput {
  return { services: {}, shared: {}, platform: {}, ...partial };
}

test('parseReferences finds every form, with spaces and mixed with text', () => {
  const cases: Array<[string, Array<[string | null, string, string]>]> = [
    ['plain', []],
    ['${{shared.KEY}}', [['shared', 'KEY', '${{shared.KEY}}']]],
    ['${{api.URL}}', [['api', 'URL', '${{api.URL}}']]],
    ['${{KEY}}', [[null, 'KEY', '${{KEY}}']]],
    ['https://${{ api.RAILWAY_PUBLIC_DOMAIN }}/v1', [['api', 'RAILWAY_PUBLIC_DOMAIN', '${{ api.RAILWAY_PUBLIC_DOMAIN }}']]],
    ['https://${{DOMAIN}}/${{GRAPHQL_PATH}}', [[null, 'DOMAIN', '${{DOMAIN}}'], [null, 'GRAPHQL_PATH', '${{GRAPHQL_PATH}}']]],
    ['${{Postgres.DATABASE_URL}} ${{backend-api.PORT}}', [['Postgres', 'DATABASE_URL', '${{Postgres.DATABASE_URL}}'], ['backend-api', 'PORT', '${{backend-api.PORT}}']]],
    ['${{\tKEY\n}}', [[null, 'KEY', '${{\tKEY\n}}']]],
    ['${KEY} $KEY {{KEY}} ${{ secret(32) }} ${{}} ${{ 1KEY }} ${{a.b.C}}', []],
  ];
  for (const [value, expected] of cases) {
    assert.deepEqual(
      parseReferences(value).map((r) => [r.namespace, r.key, r.raw]),
      expected,
      value,
    );
  }
});

test('resolves nested, composed and cross-scope references', () => {
  const result = resolveAll(
    input({
      services: {
        web: {
          API_URL: 'https://${{ api.RAILWAY_PUBLIC_DOMAIN }}/v1',
          GRAPHQL: 'https://${{DOMAIN}}/${{GRAPHQL_PATH}}',
          DOMAIN: '${{shared.DOMAIN}}',
          GRAPHQL_PATH: 'graphql',
          DB: '${{db.DATABASE_URL}}',
          BOTH: '${{API_URL}}|${{API_URL}}',
          LITERAL: 'no references, $HOME and ${{ secret(8) }} stay',
        },
        api: { PORT: '8080', INTERNAL: 'http://${{RAILWAY_PRIVATE_DOMAIN}}:${{PORT}}' },
        db: {
          POSTGRES_USER: 'postgres',
          POSTGRES_PASSWORD: 's3cret-pw',
          PGUSER: '${{POSTGRES_USER}}',
          DATABASE_URL: 'postgresql://${{PGUSER}}:${{POSTGRES_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432/railway',
        },
      },
      shared: { DOMAIN: 'example.com', API: '${{api.INTERNAL}}', SELF: '${{DOMAIN}}' },
      platform: {
        web: { RAILWAY_PRIVATE_DOMAIN: 'web.production.internal' },
        api: { RAILWAY_PUBLIC_DOMAIN: 'api.example.com', RAILWAY_PRIVATE_DOMAIN: 'api.production.internal', PORT: '3000' },
        db: { RAILWAY_PRIVATE_DOMAIN: 'db.production.internal' },
      },
    }),
  );
  assert.deepEqual(result.values.web, {
    API_URL: 'https://api.example.com/v1',
    GRAPHQL: 'https://example.com/graphql',
    DOMAIN: 'example.com',
    GRAPHQL_PATH: 'graphql',
    DB: 'postgresql://postgres:s3cret-pw@db.production.internal:5432/railway',
    BOTH: 'https://api.example.com/v1|https://api.example.com/v1',
    LITERAL: 'no references, $HOME and ${{ secret(8) }} stay',
  });
  assert.equal(result.values.api!.INTERNAL, 'http://api.production.internal:8080', "a service's own PORT wins over the platform's");
  assert.deepEqual(result.shared, { DOMAIN: 'example.com', API: 'http://api.production.internal:8080', SELF: 'example.com' });
  assert.deepEqual(Object.keys(result.values), ['web', 'api', 'db']);
});

test('a platform-only service (no variables of its own) is referenceable', () => {
  const result = resolveAll(input({ services: { web: { R: '${{redis.RAILWAY_PRIVATE_DOMAIN}}' } }, platform: { redis: { RAILWAY_PRIVATE_DOMAIN: 'redis.internal' } } }));
  assert.deepEqual(result.values, { web: { R: 'redis.internal' } });
});

test('resolveService touches only what that service reaches', () => {
  const broken = input({ services: { web: { A: '${{shared.B}}x' }, other: { X: '${{nope.Y}}' } }, shared: { B: 'b' } });
  assert.deepEqual(resolveService(broken, 'web'), { A: 'bx' });
  assert.deepEqual(resolveService(broken, 'absent'), {});
  assert.throws(() => resolveAll(broken), /other\.X references/);
});

const unknown: Array<[string, ResolveInput, string, RegExp]> = [
  [
    'a missing variable of another service',
    input({ services: { web: { API_URL: '${{api.URL}}' }, api: { PORT: '1' } }, platform: { api: { RAILWAY_PRIVATE_DOMAIN: 'x' } } }),
    "web.API_URL references ${{api.URL}}, but service 'api' has no variable URL",
    /^Service 'api' has: PORT, RAILWAY_PRIVATE_DOMAIN\.$/,
  ],
  [
    'a missing service',
    input({ services: { web: { API_URL: 'https://${{ apx.URL }}' }, api: {} }, platform: { db: {} } }),
    "web.API_URL references ${{ apx.URL }}, but there is no service 'apx'",
    /^Services: api, db, web\.$/,
  ],
  [
    'a service in the wrong case',
    input({ services: { web: { D: '${{Postgres.DATABASE_URL}}' }, postgres: { DATABASE_URL: 'x' } } }),
    "web.D references ${{Postgres.DATABASE_URL}}, but there is no service 'Postgres'",
    /Did you mean 'postgres'\?/,
  ],
  [
    'a missing shared variable',
    input({ services: { web: { A: '${{shared.NOPE}}' } }, shared: { YES: '1' } }),
    'web.A references ${{shared.NOPE}}, but there is no shared variable NOPE',
    /^Shared variables: YES\.$/,
  ],
  [
    'a missing variable of the same service',
    input({ services: { web: { A: 'x${{B}}' } } }),
    "web.A references ${{B}}, but service 'web' has no variable B",
    /^Service 'web' has: A\.$/,
  ],
  [
    'a missing same-scope shared variable',
    input({ shared: { A: '${{B}}' } }),
    'shared.A references ${{B}}, but there is no shared variable B',
    /Shared variables: A\./,
  ],
  [
    'a missing variable found through another service',
    input({ services: { web: { A: '${{api.B}}' }, api: { B: '${{shared.C}}' } } }),
    'api.B references ${{shared.C}}, but there is no shared variable C',
    /Shared variables: none\./,
  ],
  [
    'an Object.prototype name',
    input({ services: { web: { A: '${{constructor}}', B: '${{toString.X}}' } } }),
    "web.A references ${{constructor}}, but service 'web' has no variable constructor",
    /Service 'web' has: A, B\./,
  ],
];

for (const [what, given, message, hint] of unknown) {
  test(`unknown reference: ${what}`, () => {
    for (const check of [resolveAll, checkReferences]) {
      assert.throws(
        () => check(given),
        (err: unknown) => {
          assert.ok(isWharfError(err));
          assert.equal(err.code, 'BAD_REQUEST');
          assert.equal(err.message, message);
          assert.match(err.hint ?? '', hint);
          return true;
        },
      );
    }
  });
}

const cycles: Array<[string, ResolveInput, string]> = [
  ['a self-reference', input({ services: { web: { A: '${{A}}' } } }), 'web.A → web.A'],
  ['two variables', input({ services: { web: { A: 'x${{B}}', B: '${{ A }}y' } } }), 'web.A → web.B → web.A'],
  [
    'through shared and back',
    input({ services: { web: { A: '${{B}}', B: '${{shared.C}}' } }, shared: { C: '${{web.A}}' } }),
    'web.A → web.B → shared.C → web.A',
  ],
  [
    'across services, reached from outside the cycle',
    input({ services: { web: { START: '${{api.X}}' }, api: { X: '${{db.Y}}' }, db: { Y: '${{api.X}}' } } }),
    'api.X → db.Y → api.X',
  ],
  ['shared only', input({ shared: { A: '${{shared.B}}', B: '${{A}}' } }), 'shared.A → shared.B → shared.A'],
];

for (const [what, given, chain] of cycles) {
  test(`cycle: ${what}`, () => {
    assert.throws(
      () => checkReferences(given),
      (err: unknown) => {
        assert.ok(isWharfError(err));
        assert.equal(err.code, 'BAD_REQUEST');
        assert.equal(err.message, `Variables reference each other in a cycle: ${chain}`);
        assert.deepEqual((err.details as { cycle: string[] }).cycle, chain.split(' → '));
        assert.ok(err.hint);
        return true;
      },
    );
  });
}

test('a value that doubles at each level is refused before it grows without bound', () => {
  const services: Record<string, string> = { V0: 'x'.repeat(64) };
  for (let i = 1; i <= 30; i++) services[`V${i}`] = `\${{V${i - 1}}}\${{V${i - 1}}}`;
  assert.throws(() => resolveAll(input({ services: { web: services } })), /web\.V\d+ resolves to \d+ characters, more than 131072/);
});

test('__proto__ as a variable name stays an ordinary key', () => {
  const services = JSON.parse('{"web": {"__proto__": "p", "A": "${{__proto__}}"}}') as ResolveInput['services'];
  const result = resolveAll(input({ services }));
  assert.deepEqual(Object.keys(result.values.web!), ['__proto__', 'A']);
  assert.equal(result.values.web!.A, 'p');
  assert.equal(Object.getPrototypeOf(result.values.web), Object.prototype);
});

const orders: Array<[string, ResolveInput, string[][]]> = [
  ['no references: one wave', input({ services: { b: { X: '1' }, a: {} } }), [['a', 'b']]],
  [
    'a chain',
    input({ services: { web: { A: '${{api.URL}}' }, api: { URL: 'http://${{db.RAILWAY_PRIVATE_DOMAIN}}' }, db: {} }, platform: { db: { RAILWAY_PRIVATE_DOMAIN: 'x' } } }),
    [['db'], ['api'], ['web']],
  ],
  [
    'through a shared variable and a same-service variable',
    input({ services: { web: { A: '${{B}}', B: '${{shared.DB}}' }, db: { URL: 'u' } }, shared: { DB: '${{db.URL}}' } }),
    [['db'], ['web']],
  ],
  [
    'a cycle shares a wave, and what depends on it comes after',
    input({ services: { a: { X: '${{b.Y}}' }, b: { Y: '${{a.X}}' }, c: { W: '${{a.X}}' }, d: {} }, shared: {} }),
    [['a', 'b', 'd'], ['c']],
  ],
  [
    'longest path decides the wave',
    input({ services: { web: { A: '${{api.X}} ${{db.X}}' }, api: { X: '${{db.X}}' }, db: { X: '1' }, worker: { A: '${{db.X}}' } } }),
    [['db'], ['api', 'worker'], ['web']],
  ],
  ['unknown references and self-references are ignored', input({ services: { web: { A: '${{nope.X}} ${{web.A}} ${{B}}' } } }), [['web']]],
  ['a platform-only service is placed too', input({ services: { web: { A: '${{redis.HOST}}' } }, platform: { redis: { HOST: 'h' } } }), [['redis'], ['web']]],
  ['nothing', input({}), []],
];

for (const [what, given, waves] of orders) {
  test(`dependencyOrder: ${what}`, () => {
    assert.deepEqual(dependencyOrder(given), waves);
  });
}

test("a service named 'shared' resolves its own variables; `shared.` and its same-scope references mean the shared scope", () => {
  const result = resolveAll(input({ services: { shared: { A: 'own', B: '${{ shared.K }}', C: '${{K}}' }, web: { X: '${{shared.K}}' } }, shared: { K: 'from-shared' } }));
  assert.deepEqual(result.values.shared, { A: 'own', B: 'from-shared', C: 'from-shared' });
  assert.deepEqual(result.values.web, { X: 'from-shared' });
  assert.deepEqual(resolveService(input({ services: { shared: { A: 'own' } } }), 'shared'), { A: 'own' });
});
