import { WharfError } from '../../core/errors.js';
import { own } from '../../shared/record.js';

// Railway's reference syntax: `${{shared.KEY}}`, `${{service.KEY}}`, `${{KEY}}` (the same
// service, or the same shared scope), spaces allowed inside the braces, mixed with text
// (`https://${{ api.RAILWAY_PUBLIC_DOMAIN }}/v1`). References resolve transitively; an unknown
// reference or a cycle is an error (Railway resolves a missing one to '' silently; Wharf
// names it instead). A service's own variable wins over a platform variable of the same name.

export interface Reference {
  /** The text as written, e.g. `${{ api.URL }}`. */
  raw: string;
  /** `shared`, a service name, or null for the same service. */
  namespace: string | null;
  key: string;
}

export interface ResolveInput {
  /** Each service's own variables (raw values, may hold references); databases arrive here too. */
  services: Record<string, Record<string, string>>;
  /** Shared variables of the environment (raw values). */
  shared: Record<string, string>;
  /** Variables Wharf provides (RAILWAY_PRIVATE_DOMAIN, PORT …): referenceable, never references. */
  platform: Record<string, Record<string, string>>;
}

export const SHARED = 'shared';

export const REFERENCE = /\$\{\{\s*(?:([A-Za-z0-9][A-Za-z0-9_-]*)\.)?([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function parseReferences(value: string): Reference[] {
  return [...value.matchAll(REFERENCE)].map((m) => ({ raw: m[0], namespace: m[1] ?? null, key: m[2]! }));
}

export function hasReferences(value: string): boolean {
  return parseReferences(value).length > 0;
}

/** Where a variable lives: a service's own or platform variables, or the shared scope. */
export interface VariableRef {
  scope: string;
  key: string;
  /**
   * A service's own variable even when the service is named 'shared' (a valid name): in a
   * reference `shared.` always means the shared scope, but the service's variables still resolve.
   */
  service?: true;
}

export type Target =
  | { kind: 'variable'; scope: string; key: string; raw: string }
  | { kind: 'platform'; scope: string; key: string; value: string }
  | { kind: 'missing'; error: WharfError };

/** What a reference written in `from` points at. */
export function lookup(input: ResolveInput, from: VariableRef, ref: Reference): Target {
  const scope = ref.namespace ?? from.scope;
  const where = `${label(from)} references ${ref.raw}`;
  if (scope === SHARED) {
    const raw = own(input.shared, ref.key);
    if (raw !== undefined) return { kind: 'variable', scope, key: ref.key, raw };
    return missing(`${where}, but there is no shared variable ${ref.key}`, listHint('Shared variables', Object.keys(input.shared)), from, ref);
  }
  const vars = own(input.services, scope);
  const platform = own(input.platform, scope);
  if (!vars && !platform) {
    const names = serviceNames(input);
    const near = names.find((n) => n.toLowerCase() === scope.toLowerCase());
    const hint = `${near ? `Did you mean '${near}'? Names are case-sensitive. ` : ''}${listHint('Services', names)}`;
    return missing(`${where}, but there is no service '${scope}'`, hint, from, ref);
  }
  const raw = vars ? own(vars, ref.key) : undefined;
  if (raw !== undefined) return { kind: 'variable', scope, key: ref.key, raw };
  const value = platform ? own(platform, ref.key) : undefined;
  if (value !== undefined) return { kind: 'platform', scope, key: ref.key, value };
  const keys = [...new Set([...Object.keys(vars ?? {}), ...Object.keys(platform ?? {})])];
  return missing(`${where}, but service '${scope}' has no variable ${ref.key}`, listHint(`Service '${scope}' has`, keys), from, ref);
}

export function serviceNames(input: ResolveInput): string[] {
  return [...new Set([...Object.keys(input.services), ...Object.keys(input.platform)])].sort();
}

export function label(ref: VariableRef): string {
  return `${ref.scope}.${ref.key}`;
}

function missing(message: string, hint: string, from: VariableRef, ref: Reference): Target {
  return { kind: 'missing', error: new WharfError('BAD_REQUEST', message, { hint, details: { variable: label(from), reference: ref.raw } }) };
}

function listHint(what: string, names: string[]): string {
  if (names.length === 0) return `${what}: none.`;
  const shown = names.slice(0, 30).join(', ');
  return `${what}: ${shown}${names.length > 30 ? `, … (${names.length} in all)` : ''}.`;
}
