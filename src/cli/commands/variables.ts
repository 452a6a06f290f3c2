import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { DeploymentView, VariableView } from '../../core/api.js';
import { isWharfError, WharfError } from '../../core/errors.js';
import { servicePath, type CliContext, type GlobalOptions, type Target } from '../context.js';
import { exportDotenv, importDotenv, kvLines } from '../output/dotenv-file.js';
import { printJson, table } from '../output/table.js';

const collect = (value: string, previous: string[]) => [...previous, value];

interface VariablesOptions {
  set: string[];
  secret?: boolean;
  sealed?: boolean;
  shared?: boolean;
  reveal?: boolean;
  skipDeploy?: boolean;
  skipDeploys?: boolean;
  kv?: boolean;
}

type Globals = GlobalOptions & VariablesOptions;

/** Where a scope's variables live, and whether writing may create the service (see below). */
interface Scope {
  path: string;
  target: Target | null;
}

interface ChangeResult {
  variables: VariableView[];
  deployments: DeploymentView[];
}

/** Service variables (or with --shared, the environment's shared ones). */
function scopeOf(ctx: CliContext, globals: Globals): Scope {
  if (!globals.shared) {
    const target = ctx.target(globals);
    return { path: servicePath(target, '/variables'), target };
  }
  const { project, environment } = ctx.project(globals);
  return { path: `/v1/projects/${encodeURIComponent(project)}/environments/${encodeURIComponent(environment)}/variables`, target: null };
}

/**
 * The variables of a scope. A folder linked by `wharf init` names the service `wharf up` will
 * create; until something creates it, it simply has no variables.
 */
async function listScope(ctx: CliContext, scope: Scope, reveal: boolean): Promise<VariableView[]> {
  try {
    return await ctx.client().get<VariableView[]>(`${scope.path}${reveal ? '?reveal=1' : ''}`);
  } catch (error) {
    if (scope.target?.fromLink && isWharfError(error) && error.code === 'NOT_FOUND' && error.message.includes(`service '${scope.target.service}'`)) return [];
    throw error;
  }
}

/**
 * Sets variables. For the service the folder is linked to, the server creates it when it does
 * not exist yet: seeds set variables first and deploy after, and the first deploy has them.
 */
async function changeScope(ctx: CliContext, scope: Scope, body: { set?: Record<string, unknown>; delete?: string[]; skipDeploy: boolean }): Promise<ChangeResult> {
  const create = scope.target?.fromLink ? '?create=1' : '';
  return ctx.client().patch<ChangeResult>(`${scope.path}${create}`, { set: {}, delete: [], ...body });
}

const skipDeploy = (globals: Globals) => globals.skipDeploy === true || globals.skipDeploys === true;

function flagsOf(globals: Globals): { secret?: true; sealed?: true } {
  return { ...(globals.secret ? { secret: true } : {}), ...(globals.sealed ? { sealed: true } : {}) };
}

function readInput(file: string | undefined): { text: string; name: string } {
  if (file !== undefined && file !== '-') return { text: readFileSync(file, 'utf8'), name: file };
  if (process.stdin.isTTY) {
    throw new WharfError('BAD_REQUEST', 'no file given, and standard input is a terminal', { hint: 'Give a file (`wharf variables import .env`) or redirect one in (`wharf variables import < .env`).' });
  }
  return { text: readFileSync(0, 'utf8'), name: 'standard input' };
}

function parsePairs(pairs: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new WharfError('BAD_REQUEST', `'${pair}' is not KEY=VALUE`, { hint: 'e.g. `wharf variables set GREETING=hello`' });
    values[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return values;
}

function report(result: ChangeResult, json: boolean | undefined): void {
  if (json) return printJson(result);
  console.log(table(['NAME', 'VALUE', ''], result.variables.map((v) => [v.key, v.value ?? '(sealed)', v.sealed ? 'sealed' : v.secret ? 'secret' : ''])));
  if (result.deployments.length > 0) {
    console.log(`\nRedeploying: ${result.deployments.map((d) => `#${d.number} (${d.id})`).join(', ')} — follow with \`wharf logs --build\`.`);
  } else {
    console.log('\nSaved. The next deployment gets them (`wharf up`, or `wharf redeploy` for a deployed service).');
  }
}


function printList(list: VariableView[], globals: Globals): void {
  if (globals.kv) return void process.stdout.write(kvLines(list));
  if (globals.json) return printJson(list);
  if (list.length === 0) return console.log('No variables yet. Set one with `wharf variables set KEY=VALUE`.');
  console.log(table(['NAME', 'VALUE', ''], list.map((v) => [v.key, v.value ?? '(sealed)', v.sealed ? 'sealed' : v.secret ? 'secret' : ''])));
}

async function setPairs(ctx: CliContext, globals: Globals, pairs: string[]): Promise<void> {
  const flags = flagsOf(globals);
  const set = Object.fromEntries(Object.entries(parsePairs(pairs)).map(([k, v]) => [k, { value: v, ...flags }]));
  report(await changeScope(ctx, scopeOf(ctx, globals), { set, skipDeploy: skipDeploy(globals) }), globals.json);
}

export function registerVariables(program: Command, ctx: CliContext): void {
  const variables = program
    .command('variables')
    .alias('vars')
    .alias('variable')
    .description("Show or change a service's variables in this environment (or the shared ones with --shared)")
    .option('--set <KEY=VALUE>', 'set a variable (repeatable); values may reference ${{shared.KEY}}, ${{service.KEY}}, ${{KEY}}', collect, [])
    .option('--secret', 'mark the variables being set as secret: masked in output, redacted from logs, not copied to other environments')
    .option('--sealed', 'seal the variables being set: usable by deployments, never shown again (cannot be undone)')
    .option('--shared', "the environment's shared variables instead of the service's")
    .option('--reveal', 'show secret values')
    .option('-k, --kv', 'print KEY=VALUE lines (values you may read in clear, sealed ones left out), like `railway variables --kv`')
    .option('--skip-deploy', 'stage the change without redeploying')
    .addOption(new Option('--skip-deploys', 'the same as --skip-deploy (Railway’s spelling)').hideHelp())
    .action(async (opts: VariablesOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<Globals>();
      if (opts.set.length > 0) return setPairs(ctx, globals, opts.set);
      printList(await listScope(ctx, scopeOf(ctx, globals), opts.reveal === true || opts.kv === true), globals);
    });

  variables
    .command('list')
    .alias('ls')
    .description('List the variables (the same as `wharf variables`)')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<Globals>();
      printList(await listScope(ctx, scopeOf(ctx, globals), globals.reveal === true || globals.kv === true), globals);
    });

  variables
    .command('set')
    .description('Set variables: `wharf variables set KEY=VALUE [KEY=VALUE …]` (like `railway variables set`); with --secret, --sealed, --skip-deploy')
    .argument('<KEY=VALUE...>')
    .action(async (pairs: string[], _opts: unknown, cmd: Command) => setPairs(ctx, cmd.optsWithGlobals<Globals>(), pairs));

  variables
    .command('get')
    .description('Print one variable’s value (secret values need --reveal)')
    .argument('<key>')
    .action(async (key: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<Globals>();
      const found = (await listScope(ctx, scopeOf(ctx, globals), globals.reveal === true)).find((v) => v.key === key);
      if (!found) throw new WharfError('NOT_FOUND', `variable ${key} is not set`, { hint: 'List them with `wharf variables`.' });
      if (globals.json) return printJson(found);
      if (found.value === null) throw new WharfError('CONFLICT', `${key} is sealed: it can be used by deployments but never read back`);
      console.log(found.value);
    });

  variables
    .command('delete')
    .alias('rm')
    .description('Delete a variable')
    .argument('<key>')
    .action(async (key: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<Globals>();
      report(await ctx.client().patch<ChangeResult>(scopeOf(ctx, globals).path, { delete: [key], skipDeploy: skipDeploy(globals) }), globals.json);
    });

  variables
    .command('import')
    .description('Set every variable of a .env file, or of standard input without FILE (`wharf variables import < env_backup.txt`); refuses masked values')
    .argument('[file]', '.env file (default: standard input)')
    .action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<Globals>();
      const input = readInput(file);
      const { values, secret } = importDotenv(input.text, input.name);
      if (Object.keys(values).length === 0) throw new WharfError('BAD_REQUEST', `${input.name} has no KEY=VALUE lines`, { hint: 'Write one variable per line: KEY=VALUE.' });
      const flags = flagsOf(globals);
      const set = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, ...flags, ...(secret.has(k) ? { secret: true } : {}) }]));
      report(await changeScope(ctx, scopeOf(ctx, globals), { set, skipDeploy: skipDeploy(globals) }), globals.json);
    });

  variables
    .command('export')
    .description('Print the variables as a .env file that `import` reads back: values in clear, secret ones marked, sealed ones left out with a comment')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<Globals>();
      // The caller may read secrets (`--reveal`): an export that masked them lost data on import.
      process.stdout.write(exportDotenv(await listScope(ctx, scopeOf(ctx, globals), true)));
    });
}
