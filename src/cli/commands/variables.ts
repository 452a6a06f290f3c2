import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { DeploymentView, VariableView } from '../../core/api.js';
import { WharfError } from '../../core/errors.js';
import { formatDotenv, parseDotenv } from '../../server/variables/dotenv.js';
import { servicePath, type CliContext, type GlobalOptions } from '../context.js';
import { printJson, table } from '../output/table.js';

const collect = (value: string, previous: string[]) => [...previous, value];

interface VariablesOptions {
  set: string[];
  secret?: boolean;
  sealed?: boolean;
  shared?: boolean;
  reveal?: boolean;
  skipDeploy?: boolean;
}

interface ChangeResult {
  variables: VariableView[];
  deployments: DeploymentView[];
}

/** Service variables (or with --shared, the environment's shared ones). */
function scopePath(ctx: CliContext, globals: GlobalOptions, shared: boolean | undefined): string {
  if (!shared) return servicePath(ctx.target(globals), '/variables');
  const { project, environment } = ctx.project(globals);
  return `/v1/projects/${encodeURIComponent(project)}/environments/${encodeURIComponent(environment)}/variables`;
}

function parsePairs(pairs: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new WharfError('BAD_REQUEST', `'${pair}' is not KEY=VALUE`, { hint: 'e.g. --set GREETING=hello' });
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
    console.log('\nSaved. Deployments pick them up on the next deploy (`wharf redeploy`).');
  }
}

export function registerVariables(program: Command, ctx: CliContext): void {
  const variables = program
    .command('variables')
    .alias('vars')
    .description("Show or change a service's variables in this environment (or the shared ones with --shared)")
    .option('--set <KEY=VALUE>', 'set a variable (repeatable); values may reference ${{shared.KEY}}, ${{service.KEY}}, ${{KEY}}', collect, [])
    .option('--secret', 'mark the variables being set as secret: masked in output, redacted from logs, not copied to other environments')
    .option('--sealed', 'seal the variables being set: usable by deployments, never shown again (cannot be undone)')
    .option('--shared', "the environment's shared variables instead of the service's")
    .option('--reveal', 'show secret values')
    .option('--skip-deploy', 'stage the change without redeploying')
    .action(async (opts: VariablesOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const path = scopePath(ctx, globals, opts.shared);
      const client = ctx.client();
      if (opts.set.length === 0) {
        const list = await client.get<VariableView[]>(`${path}${opts.reveal ? '?reveal=1' : ''}`);
        if (globals.json) return printJson(list);
        if (list.length === 0) return console.log('No variables yet. Set one with `wharf variables --set KEY=VALUE`.');
        return console.log(table(['NAME', 'VALUE', ''], list.map((v) => [v.key, v.value ?? '(sealed)', v.sealed ? 'sealed' : v.secret ? 'secret' : ''])));
      }
      const flags = { ...(opts.secret ? { secret: true } : {}), ...(opts.sealed ? { sealed: true } : {}) };
      const set = Object.fromEntries(Object.entries(parsePairs(opts.set)).map(([k, v]) => [k, { value: v, ...flags }]));
      report(await client.patch<ChangeResult>(path, { set, skipDeploy: opts.skipDeploy === true }), globals.json);
    });

  variables
    .command('get')
    .description('Print one variable’s value (secret values need --reveal)')
    .argument('<key>')
    .action(async (key: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions & VariablesOptions>();
      const list = await ctx.client().get<VariableView[]>(`${scopePath(ctx, globals, globals.shared)}${globals.reveal ? '?reveal=1' : ''}`);
      const found = list.find((v) => v.key === key);
      if (!found) throw new WharfError('NOT_FOUND', `variable ${key} is not set`, { hint: 'List them with `wharf variables`.' });
      if (globals.json) return printJson(found);
      if (found.value === null) throw new WharfError('CONFLICT', `${key} is sealed: it can be used by deployments but never read back`);
      console.log(found.value);
    });

  variables
    .command('delete')
    .description('Delete a variable')
    .argument('<key>')
    .action(async (key: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions & VariablesOptions>();
      report(await ctx.client().patch<ChangeResult>(scopePath(ctx, globals, globals.shared), { delete: [key], skipDeploy: globals.skipDeploy === true }), globals.json);
    });

  variables
    .command('import')
    .description('Set every variable of a .env file')
    .argument('<file>')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions & VariablesOptions>();
      const values = parseDotenv(readFileSync(file, 'utf8'));
      const flags = { ...(globals.secret ? { secret: true } : {}), ...(globals.sealed ? { sealed: true } : {}) };
      const set = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, ...flags }]));
      report(await ctx.client().patch<ChangeResult>(scopePath(ctx, globals, globals.shared), { set, skipDeploy: globals.skipDeploy === true }), globals.json);
    });

  variables
    .command('export')
    .description('Print the variables in .env format (secret values need --reveal; sealed ones are left out)')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions & VariablesOptions>();
      const list = await ctx.client().get<VariableView[]>(`${scopePath(ctx, globals, globals.shared)}${globals.reveal ? '?reveal=1' : ''}`);
      const values = Object.fromEntries(list.filter((v) => v.value !== null).map((v) => [v.key, v.value!]));
      process.stdout.write(formatDotenv(values));
    });
}
