import type { ProjectSpec, ServiceSpec, VariableSpec } from '../../core/project-spec.js';

// ProjectSpec → a readable wharf.toml: top-level fields, then shared variables, one
// [services.<name>] section per service (settings in a fixed order, then its variables and
// per-environment overrides), then databases. `header` lines become `# comments` on top.
// TOML has no null: a null setting ("unset") is left out.

const SERVICE_ORDER = [
  'kind',
  'root',
  'builder',
  'buildCommand',
  'startCommand',
  'preDeployCommand',
  'schedule',
  'staticDir',
  'healthcheckPath',
  'healthcheckTimeout',
  'restartPolicyType',
  'restartPolicyMaxRetries',
  'numReplicas',
  'overlapSeconds',
  'drainingSeconds',
  'livenessIntervalSeconds',
  'livenessTimeoutSeconds',
  'livenessFailureThreshold',
  'domains',
];

export function specToToml(spec: ProjectSpec, header: readonly string[] = []): string {
  const out: string[] = header.flatMap((line) => line.split('\n')).map((line) => (line ? `# ${line}` : '#'));
  const block = (title: string | null, lines: string[]) => {
    if (title === null && lines.length === 0) return;
    if (out.length > 0) out.push('');
    if (title !== null) out.push(`[${title}]`);
    out.push(...lines);
  };
  const top: string[] = [];
  if (spec.name !== undefined) top.push(`name = ${value(spec.name)}`);
  if (spec.runtime !== undefined) top.push(`runtime = ${value(spec.runtime)}`);
  top.push(`environments = ${value(spec.environments)}`);
  block(null, top);
  if (Object.keys(spec.shared.variables).length > 0) block('shared.variables', variableLines(spec.shared.variables));
  for (const [env, { variables }] of Object.entries(spec.shared.environments)) {
    block(`shared.environments.${key(env)}.variables`, variableLines(variables));
  }
  for (const [name, service] of Object.entries(spec.services)) serviceBlocks(`services.${key(name)}`, service, block);
  for (const [name, db] of Object.entries(spec.databases)) {
    block(`databases.${key(name)}`, fieldLines(db as Record<string, unknown>, ['engine', 'version']));
  }
  return out.join('\n') + '\n';
}

function serviceBlocks(title: string, service: ServiceSpec, block: (title: string, lines: string[]) => void): void {
  const fields = { ...service } as Record<string, unknown>;
  if (fields.root === '.') delete fields.root; // the default
  block(title, fieldLines(fields, SERVICE_ORDER, ['variables', 'environments']));
  if (service.variables && Object.keys(service.variables).length > 0) block(`${title}.variables`, variableLines(service.variables));
  for (const [env, override] of Object.entries(service.environments ?? {})) {
    const lines = fieldLines(override as Record<string, unknown>, SERVICE_ORDER, ['variables']);
    const hasVariables = override.variables !== undefined;
    if (lines.length > 0 || !hasVariables) block(`${title}.environments.${key(env)}`, lines);
    if (hasVariables) block(`${title}.environments.${key(env)}.variables`, variableLines(override.variables!));
  }
}

/** `order` first, then any other field (so nothing is lost), never `skip`. */
function fieldLines(object: Record<string, unknown>, order: readonly string[], skip: readonly string[] = []): string[] {
  const keys = [...order.filter((k) => k in object), ...Object.keys(object).filter((k) => !order.includes(k))];
  return keys.filter((k) => !skip.includes(k) && object[k] !== undefined && object[k] !== null).map((k) => `${key(k)} = ${value(object[k])}`);
}

function variableLines(variables: Record<string, VariableSpec>): string[] {
  return Object.entries(variables).map(([k, v]) => `${key(k)} = ${value(v)}`);
}

function key(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

function value(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v).replace(/\x7f/g, '\\u007F');
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(value).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined && x !== null);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${key(k)} = ${value(x)}`).join(', ')} }`;
  }
  throw new Error(`cannot write ${String(v)} as TOML`);
}
