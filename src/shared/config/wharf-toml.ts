import { parse as parseToml, TomlError } from 'smol-toml';
import { assertValueDepth, MAX_CONFIG_DEPTH } from './depth.js';
import { WharfError } from '../../core/errors.js';
import { databaseSpecSchema, projectSpecSchema, serviceSpecSchema, type ImportResult } from '../../core/project-spec.js';
import { tomlPosition } from './positions.js';
import type { PathSegment, SourceDocument } from './source.js';
import { issuesError } from './zod-issues.js';

// wharf.toml → ProjectSpec, all or nothing: an invalid file returns nothing and throws one
// INVALID_CONFIG error naming `wharf.toml:line:col field: what is expected`.

export const WHARF_FILE = 'wharf.toml';
const HINT = 'See docs/config-as-code.md for every wharf.toml field, or run `wharf validate` after each change.';

export const WHARF_EXPECTED: Record<string, string> = {
  buildCommand: 'a command string',
  startCommand: 'a command string',
  preDeployCommand: 'a command string',
  schedule: 'a cron expression such as "0 2 * * *" or @daily',
  staticDir: 'a folder path',
  healthcheckPath: "a path starting with '/'",
  healthcheckTimeout: 'a whole number of seconds from 1 to 3600',
  restartPolicyMaxRetries: 'a whole number from 0 to 1000',
  numReplicas: 'a whole number from 1 to 50',
  overlapSeconds: 'a whole number of seconds from 0 to 3600',
  drainingSeconds: 'a whole number of seconds from 0 to 3600',
  livenessIntervalSeconds: 'a number of seconds from 0.2 to 3600',
  livenessTimeoutSeconds: 'a number of seconds from 0.1 to 600',
  livenessFailureThreshold: 'a whole number from 1 to 100',
  root: 'a folder path inside the source',
  domains: 'a list of domain names',
  environments: 'a list of environment names',
  runtime: '"process" or "docker"',
  '(variable)': 'a string or a table { value, secret, sealed, generate, required }',
  volumes: 'a list of tables { name, mountPath, sizeGB }',
  memoryLimit: 'a memory size such as "512M" or "1Gi"',
  cpuLimit: 'a number of cores such as 0.5',
  image: 'an image reference such as "nginx:1.27"',
  dependsOn: 'a list of service names',
};

const VOLUME_FIELDS = ['name', 'mountPath', 'sizeGB'];

const VARIABLE_FIELDS = ['value', 'secret', 'sealed', 'generate', 'required'];
const SERVICE_FIELDS = Object.keys(serviceSpecSchema.shape);
const OVERRIDE_FIELDS = SERVICE_FIELDS.filter((f) => !['kind', 'root', 'environments'].includes(f));

/** The keys allowed in the wharf.toml table at `path`. */
export function wharfKnownFields(path: readonly PathSegment[]): readonly string[] {
  const [top, , third, , fifth] = path;
  if (path.length === 0) return Object.keys(projectSpecSchema.shape);
  if (top === 'shared') {
    if (path.length === 1) return ['variables', 'environments'];
    if (path.length === 3 && path[1] === 'environments') return ['variables'];
    return VARIABLE_FIELDS;
  }
  if (top === 'databases') return Object.keys(databaseSpecSchema.shape);
  if (top === 'services') {
    if (path.length === 2) return SERVICE_FIELDS;
    if (third === 'environments' && path.length === 4) return OVERRIDE_FIELDS;
    if (third === 'variables' || fifth === 'variables') return VARIABLE_FIELDS;
    if (third === 'volumes' || fifth === 'volumes') return VOLUME_FIELDS;
  }
  return [];
}

export function readTomlDocument(file: string, text: string): SourceDocument {
  try {
    const doc: SourceDocument = { file, value: parseToml(text, { maxDepth: MAX_CONFIG_DEPTH }), locate: (p) => tomlPosition(text, p) };
    assertValueDepth(doc);
    return doc;
  } catch (err) {
    if (err instanceof TomlError) {
      const what = err.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
      throw new WharfError('INVALID_CONFIG', `${file}:${err.line}:${err.column} ${what}`, { hint: `Fix the TOML syntax in ${file}.` });
    }
    throw err;
  }
}

export function parseWharfToml(file: string, text: string): ImportResult {
  const doc = readTomlDocument(file, text);
  const parsed = projectSpecSchema.safeParse(doc.value);
  if (!parsed.success) throw issuesError(doc, parsed.error.issues, { knownFields: wharfKnownFields, expected: WHARF_EXPECTED, hint: HINT });
  return { spec: parsed.data, warnings: [] };
}
