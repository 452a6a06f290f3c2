import type { Command } from 'commander';
import type { ServiceStatusView } from '../../core/api.js';
import { WharfError } from '../../core/errors.js';
import { serviceSettingsPatchSchema } from '../../core/settings.js';
import { servicePath, type CliContext, type GlobalOptions } from '../context.js';
import { printJson, table } from '../output/table.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** KEY=VALUE pairs → a settings patch; "null" or an empty value clears a setting. */
export function parseSettingPairs(pairs: string[]): Record<string, unknown> {
  const known = Object.keys(serviceSettingsPatchSchema.shape);
  const patch: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : pair;
    if (eq <= 0 || !known.includes(key)) {
      throw new WharfError('BAD_REQUEST', `'${pair}' is not KEY=VALUE with a known setting`, { hint: `Settings: ${known.join(', ')}.` });
    }
    const raw = pair.slice(eq + 1);
    patch[key] = raw === '' || raw === 'null' ? null : raw;
  }
  return patch;
}

/** One setting for a table: structured ones (postDeployChecks) as the JSON `--set` takes. */
export function settingText(value: unknown): string {
  if (value === null || value === undefined) return '-';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function registerSettings(program: Command, ctx: CliContext): void {
  program
    .command('settings')
    .description("Show or change a service's settings in this environment (used by the next deployment)")
    .option('--set <key=value>', 'change a setting (repeatable), e.g. --set healthcheckPath=/api/health', collect, [])
    .action(async (opts: { set: string[] }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const target = ctx.target(globals);
      const client = ctx.client();
      const settings =
        opts.set.length > 0
          ? await client.patch<Record<string, unknown>>(servicePath(target, '/settings'), parseSettingPairs(opts.set))
          : (await client.get<ServiceStatusView>(servicePath(target))).settings;
      if (globals.json) return printJson(settings);
      console.log(table(['SETTING', 'VALUE'], Object.entries(settings).map(([k, v]) => [k, settingText(v)])));
      if (opts.set.length > 0) console.log('\nSaved. The next deployment uses them: `wharf redeploy`.');
    });
}
