import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerActions } from './commands/actions.js';
import { registerAlerts } from './commands/alerts.js';
import { registerCron } from './commands/cron.js';
import { registerDatabases } from './commands/databases.js';
import { registerDeployments } from './commands/deployments.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDrains } from './commands/drains.js';
import { registerEnvironments } from './commands/environments.js';
import { registerEvents } from './commands/events.js';
import { registerImport } from './commands/import.js';
import { registerInit } from './commands/init.js';
import { registerLink } from './commands/link.js';
import { registerLogs } from './commands/logs.js';
import { registerMetrics } from './commands/metrics.js';
import { registerPlanApply } from './commands/plan-apply.js';
import { registerProjects } from './commands/projects.js';
import { registerRun } from './commands/run.js';
import { registerSecrets } from './commands/secrets.js';
import { registerServer } from './commands/server.js';
import { registerService } from './commands/service.js';
import { registerSettings } from './commands/settings.js';
import { registerStatus } from './commands/status.js';
import { registerUp } from './commands/up.js';
import { registerValidate } from './commands/validate.js';
import { registerVariables } from './commands/variables.js';
import { registerVolume } from './commands/volume.js';
import type { CliContext } from './context.js';

// The command tree of `wharf`, one file per command; main.ts parses argv with it, and tests read
// it (docs/cli.md's Railway table is checked against it).

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('wharf')
    .description('Wharf: deploy folders as web services on your own machines')
    .version(version, '-V, --version', 'print the version')
    .option('-p, --project <name>', 'project (default: the one linked to this folder)')
    .option('-e, --environment <name>', 'environment (default: the linked one, or production)')
    .option('-s, --service <name>', 'service (default: the linked one; `wharf up` uses "web")')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();

  registerInit(program, ctx);
  registerLink(program, ctx);
  registerService(program, ctx);
  registerUp(program, ctx);
  registerStatus(program, ctx);
  registerDeployments(program, ctx);
  registerLogs(program, ctx);
  registerMetrics(program, ctx);
  registerActions(program, ctx);
  registerSettings(program, ctx);
  registerVariables(program, ctx);
  registerEnvironments(program, ctx);
  registerRun(program, ctx);
  registerProjects(program, ctx);
  registerValidate(program);
  registerPlanApply(program, ctx);
  registerDoctor(program, ctx);
  registerEvents(program, ctx);
  registerAlerts(program, ctx);
  registerDrains(program, ctx);
  registerCron(program, ctx);
  registerDatabases(program, ctx);
  registerSecrets(program, ctx);
  registerVolume(program, ctx);
  registerImport(program);
  registerServer(program);
  return program;
}
