import { readLimitOverride } from './limit-override.js';
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { WharfError } from '../../core/errors.js';
import { readSourceText } from '../read-in-source.js';
import type { ServiceSettingsPatch } from '../../core/settings.js';
import { assertJsonDepth, assertValueDepth, MAX_CONFIG_DEPTH } from './depth.js';
import { didYouMean } from './did-you-mean.js';
import { describeValue, valueAt } from './source.js';
import { jsonPosition, offsetToPosition, tomlPosition, type Position } from './positions.js';
import {
  EXPECTED,
  knownFields,
  railwayConfigSchema,
  UNSUPPORTED,
  type RailwayBuild,
  type RailwayConfig,
  type RailwayDeploy,
} from './railway-schema.js';

// railway.toml / railway.json → a ServiceSettings patch for one environment
// (REFERENCE.md §1.1): environment-specific values over base values. Every field of
// Railway's schema is either mapped or warned about; anything else is an error.

export interface RailwayConfigResult {
  file: string | null;
  settings: ServiceSettingsPatch;
  warnings: string[];
}

export const RAILWAY_CONFIG_FILES = ['railway.toml', 'railway.json'] as const;
const HINT_DOCS = 'The fields Wharf reads are those of Railway config as code: build.{builder,buildCommand,dockerfilePath}, deploy.{startCommand,healthcheckPath,healthcheckTimeout,restartPolicyType,restartPolicyMaxRetries,numReplicas,overlapSeconds,drainingSeconds}.';

export async function readRailwayConfig(sourceDir: string, environmentName: string): Promise<RailwayConfigResult> {
  const present: Array<{ name: string; text: string }> = [];
  for (const name of RAILWAY_CONFIG_FILES) {
    const text = await readSourceText(sourceDir, name);
    if (text !== null) present.push({ name, text });
  }
  const file = present[0]?.name;
  if (!file) return { file: null, settings: {}, warnings: [] };
  const text = present[0]!.text;
  const result = parseRailwayConfig(file, text, environmentName);
  if (present.length > 1) result.warnings.unshift(`${present.slice(1).map((p) => p.name).join(', ')} was ignored because ${file} is present (${file} is preferred, as on Railway)`);
  return result;
}

/** Parses and validates one file's text; `file` is its name, used in messages. */
export function parseRailwayConfig(file: string, text: string, environmentName: string): RailwayConfigResult {
  const { config } = loadRailwayConfig(file, text);
  const warnings: string[] = [];
  // `$schema` only points editors at Railway's schema: nothing to honour, nothing to warn about.
  const settings: ServiceSettingsPatch = {};
  applySections(file, '', config.build, config.deploy, settings, warnings);
  const env = config.environments?.[environmentName];
  if (env) applySections(file, `environments.${environmentName}.`, env.build, env.deploy, settings, warnings);
  return { file, settings, warnings };
}

function applySections(
  file: string,
  prefix: string,
  build: RailwayBuild | null | undefined,
  deploy: RailwayDeploy | null | undefined,
  settings: ServiceSettingsPatch,
  warnings: string[],
): void {
  const unsupported = (section: 'build' | 'deploy', values: Record<string, unknown>) => {
    for (const field of UNSUPPORTED[section]) {
      if (values[field] !== undefined) warnings.push(`${file} ${prefix}${section}.${field} is not supported yet and was ignored`);
    }
  };
  if (build) {
    unsupported('build', build);
    if (build.builder !== undefined && build.builder !== null) {
      if (build.builder === 'DOCKERFILE') settings.builder = 'DOCKERFILE';
      else if (['RAILPACK', 'NIXPACKS', 'HEROKU', 'PAKETO'].includes(build.builder)) settings.builder = 'AUTO';
      else settings.builder = build.builder as NonNullable<ServiceSettingsPatch['builder']>;
    }
    if (build.buildCommand !== undefined) settings.buildCommand = build.buildCommand;
    // Built on the docker runtime; on the process runtime a DOCKERFILE build is an error that says so (detect.ts).
    if (build.dockerfilePath !== undefined) settings.dockerfilePath = build.dockerfilePath;
  }
  if (deploy) {
    unsupported('deploy', deploy);
    if (deploy.startCommand !== undefined) settings.startCommand = deploy.startCommand;
    if (deploy.healthcheckPath !== undefined) settings.healthcheckPath = deploy.healthcheckPath;
    // Null numbers and policies mean "not set here": the service's value stays.
    const numbers = ['healthcheckTimeout', 'restartPolicyMaxRetries', 'numReplicas', 'overlapSeconds', 'drainingSeconds', 'preDeployTimeoutSeconds'] as const;
    for (const field of numbers) {
      const v = deploy[field];
      if (typeof v === 'number') settings[field] = v;
    }
    if (deploy.restartPolicyType) settings.restartPolicyType = deploy.restartPolicyType;
    const pre = deploy.preDeployCommand;
    if (pre !== undefined && pre !== null) {
      const commands = Array.isArray(pre) ? pre : [pre];
      if (commands.length > 0 && commands.every((c) => typeof c === 'string' && c.trim() !== '')) settings.preDeployCommand = (commands as string[]).map((c) => c.trim()).join(' && ');
      else warnings.push(`${file} ${prefix}deploy.preDeployCommand must be a command string or a list of them; ignored`);
    }
    if (deploy.limitOverride !== undefined && deploy.limitOverride !== null) {
      const limits = readLimitOverride(deploy.limitOverride);
      Object.assign(settings, limits.settings);
      for (const p of limits.problems) warnings.push(`${file} ${prefix}deploy.limitOverride${p.path.map((s) => '.' + s).join('')}: ${p.message}${p.message.endsWith('ignored') ? '' : '; ignored'}`);
    }
    const cron = deploy.cronSchedule;
    if (cron !== undefined && cron !== null) {
      if (typeof cron === 'string' && cron.trim() !== '') settings.cronSchedule = cron.trim();
      else warnings.push(`${file} ${prefix}deploy.cronSchedule must be a cron expression such as "0 2 * * *"; ignored`);
    }
  }
}

type Locate = (path: readonly (string | number)[]) => Position | null;

/** Reads and validates railway.json/toml (throwing INVALID_CONFIG); `locate` finds a field's key. */
export function loadRailwayConfig(file: string, text: string): { config: RailwayConfig; value: unknown; locate: Locate } {
  const { value, locate } = file.endsWith('.toml') ? readToml(file, text) : readJson(file, text);
  const parsed = railwayConfigSchema.safeParse(value);
  if (!parsed.success) throw configError(file, value, parsed.error.issues, locate);
  return { config: parsed.data, value, locate };
}

function readJson(file: string, text: string): { value: unknown; locate: Locate } {
  assertJsonDepth(file, text);
  const errors: ParseError[] = [];
  const tree: Node | undefined = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || !tree) {
    const first = errors[0];
    const at = first ? offsetToPosition(text, first.offset) : { line: 1, column: 1 };
    const what = first ? describeJsonError(printParseErrorCode(first.error)) : 'empty file';
    throw new WharfError('INVALID_CONFIG', `${file}:${at.line}:${at.column} ${what}`, { hint: `Fix the JSON syntax in ${file} and deploy again.` });
  }
  return { value: nodeValue(tree), locate: (p) => jsonPosition(text, tree, p) };
}

function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object':
      return Object.fromEntries((node.children ?? []).map((prop) => [prop.children![0]!.value as string, nodeValue(prop.children![1]!)]));
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

function describeJsonError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().replace(/ expected$/, ' expected');
}

function readToml(file: string, text: string): { value: unknown; locate: Locate } {
  try {
    const value = parseToml(text, { maxDepth: MAX_CONFIG_DEPTH });
    const locate: Locate = (p) => tomlPosition(text, p);
    assertValueDepth({ file, value, locate });
    return { value, locate };
  } catch (err) {
    if (err instanceof TomlError) {
      const what = err.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
      throw new WharfError('INVALID_CONFIG', `${file}:${err.line}:${err.column} ${what}`, { hint: `Fix the TOML syntax in ${file} and deploy again.` });
    }
    throw err;
  }
}

function configError(file: string, value: unknown, issues: readonly z.core.$ZodIssue[], locate: Locate): WharfError {
  // In file order, so the first one named is the first one a reader meets.
  const located = issues.flatMap((issue) => describeIssue(file, value, issue, locate));
  located.sort((a, b) => (a.at?.line ?? Infinity) - (b.at?.line ?? Infinity) || (a.at?.column ?? 0) - (b.at?.column ?? 0));
  const problems = located.map((p) => p.text);
  const [first, ...rest] = problems;
  const message = rest.length > 0 ? `${first} (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : first!;
  return new WharfError('INVALID_CONFIG', message, { hint: `Fix ${file} and deploy again. ${HINT_DOCS}`, details: { problems } });
}

interface Problem {
  at: Position | null;
  text: string;
}

function describeIssue(file: string, root: unknown, issue: z.core.$ZodIssue, locate: Locate): Problem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const problem = (p: readonly (string | number)[], what: string): Problem => {
    const at = locate(p);
    return { at, text: `${at ? `${file}:${at.line}:${at.column}` : file} ${p.join('.') || '(root)'}: ${what}` };
  };
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const suggestion = didYouMean(key, knownFields(path));
      return problem([...path, key], `unknown field${suggestion ? ` — did you mean '${suggestion}'?` : ''}`);
    });
  }
  const field = path.length > 0 ? String(path[path.length - 1]) : '';
  const expected = EXPECTED[field] ?? issue.message;
  return [problem(path, `expected ${expected}, got ${describeValue(valueAt(root, path))}`)];
}
