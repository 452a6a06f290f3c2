import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPolicy, parseEnvExample, type Finding, type PolicyEnvironment, type PolicyInput } from './policy.js';
import { databaseMatcher } from './database-match.js';
import { findLiveKey } from './live-keys.js';

type Vars = Record<string, string | [string, boolean]>;

function env(name: string, services: Record<string, Vars>, shared: Vars = {}): PolicyEnvironment {
  const convert = (vars: Vars) => Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? { value: v, secret: false } : { value: v[0], secret: v[1] }]));
  return {
    name,
    production: name === 'production',
    services: Object.fromEntries(Object.entries(services).map(([s, vars]) => [s, convert(vars)])),
    shared: convert(shared),
  };
}

const brief = (f: Finding) => [f.rule, f.severity, f.environment, f.service ?? '-', f.key ?? '-'].join(' ');

/** Every value in the input, to prove no message or hint repeats one. */
function allValues(input: PolicyInput): string[] {
  const names = new Set(input.environments.map((e) => e.name));
  return input.environments
    .flatMap((e) => [...Object.values(e.services).flatMap((v) => Object.values(v)), ...Object.values(e.shared)].map((v) => v.value))
    .filter((v) => v.length >= 4 && !names.has(v));
}

function check(input: PolicyInput, expected: string[], config?: Parameters<typeof checkPolicy>[1]): Finding[] {
  const findings = checkPolicy(input, config);
  assert.deepEqual(findings.map(brief), expected);
  for (const f of findings) {
    for (const value of allValues(input)) {
      assert.ok(!f.message.includes(value) && !f.hint.includes(value), `${f.rule} leaks a value: ${f.message} / ${f.hint}`);
    }
    assert.ok(f.hint.length > 0);
  }
  return findings;
}

const JWT = 'c0ffee5e1f2e3d4c5b6a79880123456789abcdef';

test('shared-secret: the seed\'s JWT_SECRET shared by staging and production', () => {
  const findings = check(
    {
      environments: [
        env('production', { web: { JWT_SECRET: JWT, SECRET_KEY: 'prod-only-secret-key', ENVIRONMENT: 'production' } }),
        env('staging', { web: { JWT_SECRET: JWT, SECRET_KEY: 'staging-secret-key!', ENVIRONMENT: 'staging' } }),
      ],
    },
    ['shared-secret warn staging web JWT_SECRET'],
  );
  assert.equal(findings[0]!.message, 'web.JWT_SECRET in staging has the same value as web.JWT_SECRET in production');
  assert.match(findings[0]!.hint, /Give staging its own JWT_SECRET/);
});

test('shared-secret: what counts as a secret, and what does not', () => {
  check(
    {
      environments: [
        env('production', { web: { SESSION: ['flagged-as-secret', true], API_TOKEN: 'tok_abcdefgh', PAD: ['1', true], PORT_KEY: 'true', PUBLIC_URL: 'https://example.com', REF: '${{shared.X}}', DB_PASSWORD: 'same-password' } }, { SIGNING_PRIVATE: 'pem-ish-private' }),
        env('staging', { web: { SESSION: ['flagged-as-secret', true], API_TOKEN: 'tok_abcdefgh', PAD: ['1', true], PORT_KEY: 'true', PUBLIC_URL: 'https://example.com', REF: '${{shared.X}}' }, worker: { OTHER_NAME: ['same-password', true] } }, { SIGNING_PRIVATE: 'pem-ish-private' }),
      ],
    },
    [
      'shared-secret warn staging - SIGNING_PRIVATE',
      'shared-secret warn staging web API_TOKEN',
      'shared-secret warn staging web PAD',
      'shared-secret warn staging web SESSION',
      'shared-secret warn staging worker OTHER_NAME',
    ],
  );
});

test('shared-secret: between two non-production environments, the first keeps its value', () => {
  const findings = check(
    {
      environments: [
        env('production', { web: { JWT_SECRET: 'production-jwt-secret' } }),
        env('staging', { web: { JWT_SECRET: JWT } }),
        env('pr-42', { web: { JWT_SECRET: JWT }, worker: { JWT_SECRET: JWT } }),
      ],
    },
    ['shared-secret warn pr-42 web JWT_SECRET', 'shared-secret warn pr-42 worker JWT_SECRET'],
  );
  assert.equal(findings[0]!.message, 'web.JWT_SECRET in pr-42 has the same value as web.JWT_SECRET in staging');
});

test('shared-secret: one environment using a value twice is fine', () => {
  check({ environments: [env('production', { web: { JWT_SECRET: JWT }, worker: { JWT_SECRET: JWT } }), env('staging', {})] }, []);
});

test('production-database-outside-production', () => {
  const findings = check(
    {
      environments: [
        env('production', { web: { DATABASE_URL: 'postgres://app:pw-prod-123@db.prod.internal:5432/app' } }),
        env('staging', {
          web: { DATABASE_URL: 'postgres://app:pw-stg-1234@db.prod.internal:5432/app', READ_REPLICA: 'xdb.prod.internal', OTHER: 'db.prod.internal.example.com' },
          worker: { PGHOST: 'DB.PROD.INTERNAL' },
          mongo: {
            MONGO_URL: 'mongodb+srv://user:atlas-pass@cluster0.abc.mongodb.net/',
            MONGO_PROD: 'mongodb+srv://user:atlas-pass@cluster0.abc.mongodb.net/battwheels?retryWrites=true',
            MONGO_STAGING: 'mongodb+srv://user:atlas-pass@cluster0.abc.mongodb.net/battwheels_staging',
          },
        }, { CACHE: 'redis://default:redis-pw@cache.prod.internal:6379' }),
        env('pr-1', { web: { DATABASE_URL: 'postgres://app:x@db.pr-1.internal/app' } }),
      ],
      databases: {
        production: ['db.prod.internal', 'mongodb+srv://user:atlas-pass@cluster0.abc.mongodb.net/battwheels', 'redis://cache.prod.internal:6379'],
        staging: ['cluster0.abc.mongodb.net'],
      },
    },
    [
      'production-database-outside-production block staging - CACHE',
      'production-database-outside-production block staging mongo MONGO_PROD',
      'production-database-outside-production block staging web DATABASE_URL',
      'production-database-outside-production block staging worker PGHOST',
    ],
  );
  assert.equal(findings[2]!.message, 'web.DATABASE_URL in staging points at a database of the production environment');
});

test('production-database-outside-production: a host both environments list is not evidence', () => {
  check(
    {
      environments: [env('production', {}), env('staging', { web: { MONGO_URL: 'mongodb+srv://u:p@cluster0.abc.mongodb.net/' } })],
      databases: { production: ['cluster0.abc.mongodb.net'], staging: ['cluster0.abc.mongodb.net/'] },
    },
    [],
  );
});

test('databaseMatcher', () => {
  const cases: Array<[string, string, boolean]> = [
    ['db.prod.internal', 'postgres://u:p@db.prod.internal:5432/x', true],
    ['db.prod.internal', 'db.prod.internal', true],
    ['db.prod.internal:5432', 'host=db.prod.internal port=5432', true],
    ['db.prod.internal', 'mydb.prod.internal', false],
    ['db.prod.internal', 'db.prod.internal.evil.com', false],
    ['db.prod.internal', 'db.prod.internal.', true],
    ['postgres://app@db.prod.internal/app', 'postgres://app:secret@db.prod.internal:5432/app', true],
    ['postgres://app@db.prod.internal/app', 'postgres://readonly:secret@db.prod.internal:5432/app', false],
    ['postgres://db.prod.internal/app', 'postgres://u@db.prod.internal/app_test', false],
    ['mongodb://h1.prod:27017,h2.prod:27017/app', 'mongodb://u:p@h2.prod:27017/app?replicaSet=rs0', true],
  ];
  for (const [entry, value, expected] of cases) assert.equal(databaseMatcher(entry)(value), expected, `${entry} ~ ${value}`);
});

test('live-payment-key-outside-production', () => {
  const live = {
    STRIPE_SECRET_KEY: 'sk_live_51AbCdEfGhIjKlMnOp',
    STRIPE_RESTRICTED: 'rk_live_51AbCdEfGhIjKlMnOp',
    STRIPE_PUBLISHABLE_KEY: 'pk_live_51AbCdEfGhIjKlMnOp',
    RAZORPAY_KEY_ID: 'rzp_live_AbCdEfGhIjKlMn',
    FLW_SECRET_KEY: 'FLWSECK-0123456789abcdef0123456789abcdef-X',
    SQUARE_TOKEN: 'sq0atp-AbCdEfGhIjKlMnOp',
    MOLLIE_KEY: 'live_AbCdEfGhIjKlMnOpQrStUvWxYz0123',
    XENDIT_KEY: 'xnd_production_AbCdEfGhIjKlMnOp',
  };
  const test = {
    STRIPE_SECRET_KEY: 'sk_test_51AbCdEfGhIjKlMnOp',
    RAZORPAY_KEY_ID: 'rzp_test_AbCdEfGhIjKlMn',
    FLW_SECRET_KEY: 'FLWSECK_TEST-0123456789abcdef0123456789abcdef-X',
    MOLLIE_KEY: 'test_AbCdEfGhIjKlMnOpQrStUvWxYz0123',
    MIDTRANS: 'SB-Mid-server-AbCdEfGhIjKlMnOp',
    NOTE: 'ask_live_questions_here_please',
    SHORT: 'sk_live_x',
  };
  const findings = check(
    { environments: [env('production', { web: live }), env('staging', { web: live, api: test }, { PAY: 'key=rzp_live_AbCdEfGhIjKlMn' })] },
    [
      'live-payment-key-outside-production block staging - PAY',
      ...Object.keys(live).sort().map((k) => `live-payment-key-outside-production block staging web ${k}`),
      // Shared too, where the key looks secret (STRIPE_RESTRICTED does not, and is not marked).
      ...Object.keys(live).sort().filter((k) => k !== 'STRIPE_RESTRICTED').map((k) => `shared-secret warn staging web ${k}`),
    ],
  );
  const razorpay = findings.find((f) => f.key === 'RAZORPAY_KEY_ID' && f.rule === 'live-payment-key-outside-production')!;
  assert.equal(razorpay.message, 'web.RAZORPAY_KEY_ID in staging holds a Razorpay live key id: real payments outside production');
  assert.equal(findLiveKey('Mid-server-AbCdEfGhIjKlMnOp')?.provider, 'Midtrans');
  assert.equal(findLiveKey('access_token$production$abc123def$0123456789abcdef')?.provider, 'Braintree');
  assert.equal(findLiveKey('access_token$sandbox$abc123def$0123456789abcdef'), null);
});

test('missing-required, with platform keys and per-service lists', () => {
  const required = parseEnvExample('# app\nPORT=3000\nexport JWT_SECRET=\nMONGO_URL=mongodb://localhost\n\nSENTRY_DSN\n');
  assert.deepEqual(required, ['PORT', 'JWT_SECRET', 'MONGO_URL', 'SENTRY_DSN']);
  const environments = [env('production', { web: { JWT_SECRET: JWT, MONGO_URL: 'x', SENTRY_DSN: '' } }), env('staging', { web: { MONGO_URL: 'y' } })];
  const findings = check({ environments, required }, [
    'missing-required warn production web SENTRY_DSN',
    'missing-required warn staging web JWT_SECRET',
    'missing-required warn staging web SENTRY_DSN',
  ]);
  assert.equal(findings[0]!.message, 'web.SENTRY_DSN in production is empty, but .env.example lists it');
  assert.equal(findings[1]!.message, 'web.JWT_SECRET in staging is not set, but .env.example lists it');
  check({ environments: [env('production', { web: {}, worker: {} })], required: { worker: ['QUEUE_URL'] } }, ['missing-required warn production worker QUEUE_URL']);
});

test('parseEnvExample ignores comments, blank lines, junk and repeats', () => {
  assert.deepEqual(parseEnvExample('\uFEFF# X=1\n  \nexport A=1\r\nB = 2\nB=3\n  C\nnot a key line\n1BAD=x\n'), ['A', 'B', 'C']);
});

test('PolicyConfig overrides severities and turns rules off; blocks sort first', () => {
  const input: PolicyInput = {
    environments: [env('production', { web: { JWT_SECRET: JWT } }), env('staging', { web: { JWT_SECRET: JWT, STRIPE_KEY: 'sk_live_51AbCdEfGhIjKlMnOp' } })],
    required: ['MISSING'],
  };
  check(input, [
    'live-payment-key-outside-production block staging web STRIPE_KEY',
    'missing-required warn production web MISSING',
    'shared-secret warn staging web JWT_SECRET',
    'missing-required warn staging web MISSING',
  ]);
  check(input, ['shared-secret block staging web JWT_SECRET', 'live-payment-key-outside-production warn staging web STRIPE_KEY'], {
    rules: { 'shared-secret': 'block', 'live-payment-key-outside-production': 'warn', 'missing-required': 'off' },
  });
});
