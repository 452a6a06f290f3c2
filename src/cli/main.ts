import { Command, CommanderError } from 'commander';
import { isWharfError } from '../core/errors.js';
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
import { registerSettings } from './commands/settings.js';
import { registerStatus } from './commands/status.js';
import { registerUp } from './commands/up.js';
import { registerValidate } from './commands/validate.js';
import { registerVariables } from './commands/variables.js';
import { CliContext } from './context.js';

// `wharf`: one file per command; this file only wires them and turns errors into text and
// exit codes (0 ok, 1 failed, 130 interrupted).

const ctx = new CliContext();
const program = new Command('wharf')
  .description('Wharf: deploy folders as web services on your own machines')
  .option('-p, --project <name>', 'project (default: the one linked to this folder)')
  .option('-e, --environment <name>', 'environment (default: the linked one, or production)')
  .option('-s, --service <name>', 'service (default: the linked one; `wharf up` uses "web")')
  .option('--json', 'machine-readable output')
  .showHelpAfterError()
  .exitOverride();

registerInit(program, ctx);
registerLink(program, ctx);
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
registerImport(program);
registerServer(program);

process.on('SIGINT', () => process.exit(130));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (isWharfError(error)) {
    console.error(`error: ${error.message}`);
    if (error.hint) console.error(`hint: ${error.hint}`);
  } else {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
}
