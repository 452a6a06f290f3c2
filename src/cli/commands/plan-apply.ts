import type { Command } from 'commander';
import { formatWarning } from '../../shared/config/source.js';
import { readConfigFile, type ReadConfig } from '../../shared/config/read-config-file.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { formatPlan, type PlanView } from '../output/plan.js';
import { printJson } from '../output/table.js';

// `wharf plan` and `wharf apply`: the project file (wharf.toml, render.yaml, compose, Procfile)
// against one environment of the linked project. The file is read and checked here, offline,
// so a mistake shows its file:line:col before anything is sent.

export function environmentPath(ctx: CliContext, globals: GlobalOptions): string {
  const { project, environment } = ctx.project(globals);
  return `/v1/projects/${encodeURIComponent(project)}/environments/${encodeURIComponent(environment)}`;
}

export function printFileWarnings(config: ReadConfig): void {
  for (const warning of config.warnings) console.log(`warning: ${formatWarning(warning)}`);
}

export function registerPlanApply(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description('Show what applying the project file to this environment would change (nothing is changed)')
    .argument('[file]', 'wharf.toml, render.yaml, docker-compose.yml or Procfile (default: the one in this folder)')
    .action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = await readConfigFile(file, globals.service);
      const plan = await ctx.client().post<PlanView>(`${environmentPath(ctx, globals)}/plan`, { spec: config.spec });
      if (globals.json) return printJson({ file: config.file, fileWarnings: config.warnings, ...plan });
      printFileWarnings(config);
      console.log(formatPlan(plan));
    });

  program
    .command('apply')
    .description('Apply the project file to this environment: services, settings, variables (all or nothing); `wharf up` deploys')
    .argument('[file]', 'wharf.toml, render.yaml, docker-compose.yml or Procfile (default: the one in this folder)')
    .action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = await readConfigFile(file, globals.service);
      const applied = await ctx.client().post<PlanView>(`${environmentPath(ctx, globals)}/apply`, { spec: config.spec });
      if (globals.json) return printJson({ file: config.file, fileWarnings: config.warnings, ...applied });
      printFileWarnings(config);
      console.log(formatPlan(applied));
      console.log('\nApplied. Deploy with `wharf up` (running deployments keep their settings until then).');
    });
}
