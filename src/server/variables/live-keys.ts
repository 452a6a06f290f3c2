// Live-mode (real money) payment credentials, recognised by their documented prefixes.
// Test/sandbox keys of the same providers use different prefixes and never match.
// A match must not be preceded by a letter or digit, and must carry at least 10 more characters.

export interface LiveKeyPattern {
  provider: string;
  /** What it is, for the finding's message (never the value). */
  kind: string;
  pattern: RegExp;
}

const TAIL = '[A-Za-z0-9_-]{10,}';
const at = (prefix: string) => new RegExp(`(?<![A-Za-z0-9])${prefix}${TAIL}`);

export const LIVE_KEY_PATTERNS: readonly LiveKeyPattern[] = [
  // Stripe (https://docs.stripe.com/keys): sk_live_ secret, rk_live_ restricted, pk_live_
  // publishable; test keys are sk_test_/rk_test_/pk_test_. Paystack uses the same sk_live_/
  // pk_live_ prefixes (https://paystack.com/docs/api/authentication/).
  { provider: 'Stripe or Paystack', kind: 'live secret key', pattern: at('sk_live_') },
  { provider: 'Stripe', kind: 'live restricted key', pattern: at('rk_live_') },
  { provider: 'Stripe or Paystack', kind: 'live publishable key', pattern: at('pk_live_') },
  // Razorpay (https://razorpay.com/docs/api/authentication/): key ids are rzp_live_… or rzp_test_….
  { provider: 'Razorpay', kind: 'live key id', pattern: at('rzp_live_') },
  // Flutterwave (https://developer.flutterwave.com/docs/integration-guides/authentication):
  // test keys carry _TEST (FLWSECK_TEST-…); live ones are FLWSECK-… / FLWPUBK-….
  { provider: 'Flutterwave', kind: 'live key', pattern: new RegExp(`(?<![A-Za-z0-9])FLW(?:SECK|PUBK)(?:_LIVE)?-${TAIL}`) },
  // Square (https://developer.squareup.com/docs/build-basics/access-tokens): production
  // access tokens sq0atp-…, application secrets sq0csp-… (sandbox: sandbox-sq0csb-…).
  { provider: 'Square', kind: 'production access token', pattern: at('sq0atp-') },
  { provider: 'Square', kind: 'production application secret', pattern: at('sq0csp-') },
  // Braintree (https://developer.paypal.com/braintree/docs/guides/authorization/access-token):
  // access_token$production$… versus access_token$sandbox$….
  { provider: 'Braintree', kind: 'production access token', pattern: /access_token\$production\$[A-Za-z0-9]{6,}\$[A-Za-z0-9]{10,}/ },
  // Mollie (https://docs.mollie.com/reference/authentication): live_… versus test_… (30 characters after).
  { provider: 'Mollie', kind: 'live API key', pattern: /(?<![A-Za-z0-9_])live_[A-Za-z0-9]{30}(?![A-Za-z0-9])/ },
  // Xendit (https://docs.xendit.co/apidocs#authentication): xnd_production_… versus xnd_development_….
  { provider: 'Xendit', kind: 'production secret key', pattern: at('xnd_production_') },
  // Paddle Billing (https://developer.paddle.com/api-reference/about/api-keys): pdl_live_… versus pdl_sdbx_….
  { provider: 'Paddle', kind: 'live API key', pattern: at('pdl_live_') },
  // Midtrans (https://docs.midtrans.com/docs/access-keys): production Mid-server-… / Mid-client-…,
  // sandbox SB-Mid-server-….
  { provider: 'Midtrans', kind: 'production key', pattern: new RegExp(`(?<![A-Za-z0-9-])Mid-(?:server|client)-${TAIL}`) },
];

/** The first live-mode payment credential in a value, or null. */
export function findLiveKey(value: string): LiveKeyPattern | null {
  return LIVE_KEY_PATTERNS.find((p) => p.pattern.test(value)) ?? null;
}
