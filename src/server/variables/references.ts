import { WharfError } from '../../core/errors.js';
import { REFERENCE, SHARED, label, lookup, type ResolveInput, type VariableRef } from './reference-syntax.js';
import { own, setOwn } from '../../shared/record.js';

// Resolution of references (syntax and lookup in reference-syntax.ts, deploy waves in waves.ts).

export { SHARED, hasReferences, parseReferences, type Reference, type ResolveInput } from './reference-syntax.js';
export { dependencyOrder } from './waves.js';

export interface ResolveResult {
  /** Every service's own variables, resolved (platform variables are not repeated here). */
  values: Record<string, Record<string, string>>;
  /** The shared variables, resolved. */
  shared: Record<string, string>;
}

/** Longer than Linux's limit for one environment string (MAX_ARG_STRLEN), so never useful. */
export const MAX_RESOLVED_CHARS = 128 * 1024;

/** Resolves every service's variables and the shared ones. */
export function resolveAll(input: ResolveInput): ResolveResult {
  const resolver = new Resolver(input);
  const values: Record<string, Record<string, string>> = {};
  for (const [service, vars] of Object.entries(input.services)) {
    const resolved: Record<string, string> = {};
    for (const key of Object.keys(vars)) setOwn(resolved, key, resolver.resolve({ scope: service, key, service: true }));
    setOwn(values, service, resolved);
  }
  const shared: Record<string, string> = {};
  for (const key of Object.keys(input.shared)) setOwn(shared, key, resolver.resolve({ scope: SHARED, key }));
  return { values, shared };
}

/** Resolves one service's variables, touching only what they reach (for a single deploy). */
export function resolveService(input: ResolveInput, service: string): Record<string, string> {
  const resolver = new Resolver(input);
  const values: Record<string, string> = {};
  for (const key of Object.keys(own(input.services, service) ?? {})) setOwn(values, key, resolver.resolve({ scope: service, key, service: true }));
  return values;
}

/** Throws the first unknown reference or cycle, as resolveAll would (for write time). */
export function checkReferences(input: ResolveInput): void {
  resolveAll(input);
}

class Resolver {
  private readonly done = new Map<string, string>();
  private readonly stack: VariableRef[] = [];

  constructor(private readonly input: ResolveInput) {}

  resolve(at: VariableRef): string {
    // A service named 'shared' is not the shared scope (found by test/fuzz: it read the shared
    // scope's record for the service's keys and crashed with a TypeError).
    const inShared = at.scope === SHARED && at.service !== true;
    const id = `${inShared ? '' : 's:'}${at.scope}\0${at.key}`;
    const cached = this.done.get(id);
    if (cached !== undefined) return cached;
    const start = this.stack.findIndex((r) => r.scope === at.scope && r.key === at.key && (r.scope !== SHARED || (r.service === true) === !inShared));
    if (start >= 0) {
      const chain = [...this.stack.slice(start), at].map(label);
      throw new WharfError('BAD_REQUEST', `Variables reference each other in a cycle: ${chain.join(' → ')}`, {
        hint: 'Set one of them to a value instead of a reference.',
        details: { cycle: chain },
      });
    }
    const raw = inShared ? this.input.shared[at.key]! : this.input.services[at.scope]![at.key]!;
    this.stack.push(at);
    const value = raw.replace(REFERENCE, (text: string, namespace: string | undefined, key: string) => {
      const target = lookup(this.input, at, { raw: text, namespace: namespace ?? null, key });
      if (target.kind === 'missing') throw target.error;
      return target.kind === 'platform' ? target.value : this.resolve(target);
    });
    this.stack.pop();
    if (value.length > MAX_RESOLVED_CHARS) {
      throw new WharfError('BAD_REQUEST', `${label(at)} resolves to ${value.length} characters, more than ${MAX_RESOLVED_CHARS}`, {
        hint: 'A value that repeats references grows with each level; reference the value once instead.',
      });
    }
    this.done.set(id, value);
    return value;
  }
}

