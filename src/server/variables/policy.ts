import { databaseMatcher, sameEntry } from './database-match.js';
import { findLiveKey } from './live-keys.js';
import { hasReferences } from './reference-syntax.js';

// The environment policy behind `wharf doctor`: pure checks over every environment's
// variables (pass resolved values; a value still holding references is skipped where
// comparing it would mislead). Messages name keys and environments, never a value.
// The rules come from how teams lose data and money (seed 000: never share JWT_SECRET
// between environments, never use the production MONGO_URL in development, never use live
// Razorpay keys in staging; every environment needs what .env.example lists).

export const POLICY_RULES = ['shared-secret', 'production-database-outside-production', 'live-payment-key-outside-production', 'missing-required'] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];
export type Severity = 'warn' | 'block';

export interface PolicyVariable {
  value: string;
  secret: boolean;
}

export interface PolicyEnvironment {
  name: string;
  production: boolean;
  services: Record<string, Record<string, PolicyVariable>>;
  shared: Record<string, PolicyVariable>;
}

export interface PolicyInput {
  environments: PolicyEnvironment[];
  /** Per environment: hosts or URLs of that environment's databases. */
  databases?: Record<string, string[]>;
  /** Keys from .env.example: for every service, or per service. */
  required?: string[] | Record<string, string[]>;
}

export interface Finding {
  rule: PolicyRule;
  severity: Severity;
  environment: string;
  service?: string;
  key?: string;
  message: string;
  hint: string;
}

export interface PolicyConfig {
  /** Per rule: another severity, or 'off'. */
  rules?: Partial<Record<PolicyRule, Severity | 'off'>>;
}

export const DEFAULT_SEVERITY: Readonly<Record<PolicyRule, Severity>> = {
  'shared-secret': 'warn',
  'production-database-outside-production': 'block',
  'live-payment-key-outside-production': 'block',
  'missing-required': 'warn',
};

/** Keys that hold secrets even when nobody marked them secret. */
export const SENSITIVE_KEY = /SECRET|TOKEN|PASSWORD|KEY|PRIVATE/i;
/** A value this short under a sensitive-looking key is a flag or a port, not a secret. */
const MIN_UNMARKED_SECRET = 8;
/** Provided by the platform, so never "missing" (PORT is in most .env.example files). */
const PLATFORM_KEY = /^(PORT|RAILWAY_[A-Z0-9_]+|WHARF_[A-Z0-9_]+)$/;

type Draft = Omit<Finding, 'severity'>;

interface Occurrence {
  env: PolicyEnvironment;
  service?: string;
  key: string;
  variable: PolicyVariable;
}

export function checkPolicy(input: PolicyInput, config: PolicyConfig = {}): Finding[] {
  const drafts = [...sharedSecrets(input), ...productionDatabases(input), ...liveKeys(input), ...missingRequired(input)];
  const findings: Finding[] = [];
  for (const draft of drafts) {
    const severity = config.rules?.[draft.rule] ?? DEFAULT_SEVERITY[draft.rule];
    if (severity !== 'off') findings.push({ ...draft, severity });
  }
  const order = (f: Finding) => [f.severity === 'block' ? 0 : 1, f.environment, f.service ?? '', f.key ?? '', f.rule].join('\0');
  return findings.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/** The keys a .env.example lists (comments, blank lines and `export ` prefixes ignored). */
export function parseEnvExample(text: string): string[] {
  const keys: string[] = [];
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?:=|$)/.exec(line);
    if (m && !keys.includes(m[1]!)) keys.push(m[1]!);
  }
  return keys;
}

function* occurrences(env: PolicyEnvironment): Generator<Occurrence> {
  for (const [service, vars] of Object.entries(env.services)) {
    for (const [key, variable] of Object.entries(vars)) yield { env, service, key, variable };
  }
  for (const [key, variable] of Object.entries(env.shared)) yield { env, key, variable };
}

function where(o: Occurrence): string {
  return `${o.service ?? 'shared'}.${o.key}`;
}

function located(o: Occurrence): Pick<Finding, 'environment' | 'service' | 'key'> {
  return o.service === undefined ? { environment: o.env.name, key: o.key } : { environment: o.env.name, service: o.service, key: o.key };
}

function sharedSecrets(input: PolicyInput): Draft[] {
  const byValue = new Map<string, Occurrence[]>();
  for (const env of input.environments) {
    for (const o of occurrences(env)) {
      const { value, secret } = o.variable;
      const candidate = secret ? value.length > 0 : SENSITIVE_KEY.test(o.key) && value.length >= MIN_UNMARKED_SECRET;
      if (!candidate || hasReferences(value)) continue;
      byValue.set(value, [...(byValue.get(value) ?? []), o]);
    }
  }
  const drafts: Draft[] = [];
  for (const group of byValue.values()) {
    const envs = [...new Set(group.map((o) => o.env))];
    if (envs.length < 2) continue;
    // The fix belongs outside production: production keeps its value, the others get new ones.
    const keeper = envs.find((e) => e.production) ?? envs[0]!;
    for (const o of group) {
      if (o.env === keeper) continue;
      const others = group.filter((p) => p.env !== o.env).map((p) => `${where(p)} in ${p.env.name}`);
      drafts.push({
        rule: 'shared-secret',
        ...located(o),
        message: `${where(o)} in ${o.env.name} has the same value as ${[...new Set(others)].join(', ')}`,
        hint: `Give ${o.env.name} its own ${o.key} (e.g. \`openssl rand -hex 32\`): a secret shared between environments lets a leak in one open the other.`,
      });
    }
  }
  return drafts;
}

function productionDatabases(input: PolicyInput): Draft[] {
  const drafts: Draft[] = [];
  const production = input.environments.filter((e) => e.production);
  for (const env of input.environments) {
    if (env.production) continue;
    const own = input.databases?.[env.name] ?? [];
    const matchers = production.flatMap((p) =>
      (input.databases?.[p.name] ?? []).filter((entry) => !own.some((o) => sameEntry(o, entry))).map((entry) => ({ env: p.name, match: databaseMatcher(entry) })),
    );
    if (matchers.length === 0) continue;
    for (const o of occurrences(env)) {
      const hit = matchers.find((m) => m.match(o.variable.value));
      if (!hit) continue;
      drafts.push({
        rule: 'production-database-outside-production',
        ...located(o),
        message: `${where(o)} in ${env.name} points at a database of the ${hit.env} environment`,
        hint: `Give ${env.name} its own database and point ${o.key} at it; a non-production environment must never read or write ${hit.env} data.`,
      });
    }
  }
  return drafts;
}

function liveKeys(input: PolicyInput): Draft[] {
  const drafts: Draft[] = [];
  for (const env of input.environments) {
    if (env.production) continue;
    for (const o of occurrences(env)) {
      const live = findLiveKey(o.variable.value);
      if (!live) continue;
      drafts.push({
        rule: 'live-payment-key-outside-production',
        ...located(o),
        message: `${where(o)} in ${env.name} holds a ${live.provider} ${live.kind}: real payments outside production`,
        hint: `Use ${live.provider}'s test-mode key in ${env.name}, and keep live keys in production only.`,
      });
    }
  }
  return drafts;
}

function missingRequired(input: PolicyInput): Draft[] {
  if (!input.required) return [];
  const drafts: Draft[] = [];
  for (const env of input.environments) {
    for (const [service, vars] of Object.entries(env.services)) {
      const required = Array.isArray(input.required) ? input.required : (input.required[service] ?? []);
      for (const key of required) {
        if (PLATFORM_KEY.test(key) || (Object.hasOwn(vars, key) && vars[key]!.value !== '')) continue;
        const empty = Object.hasOwn(vars, key);
        drafts.push({
          rule: 'missing-required',
          environment: env.name,
          service,
          key,
          message: `${service}.${key} in ${env.name} is ${empty ? 'empty' : 'not set'}, but .env.example lists it`,
          hint: `Set it: \`wharf variables --set ${key}=… -e ${env.name} -s ${service}\`.`,
        });
      }
    }
  }
  return drafts;
}
