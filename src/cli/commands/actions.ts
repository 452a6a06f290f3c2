import type { Command } from 'commander';
import type { DeploymentView, ServiceStatusView } from '../../core/api.js';
import { WharfError } from '../../core/errors.js';
import { servicePath, type CliContext, type GlobalOptions, type Target } from '../context.js';
import { followDeployment } from '../output/follow-deployment.js';
import { printJson } from '../output/table.js';
import { routedUrl, whereLive } from '../output/where.js';
import { confirm } from '../output/confirm.js';

// redeploy, rollback, restart and down: each asks the server for one action on the
// selected service and, unless --detach, follows it to the end.

async function finish(ctx: CliContext, target: Target, deployment: DeploymentView, globals: GlobalOptions, detach: boolean | undefined): Promise<void> {
  const client = ctx.client();
  const log = (line: string) => (globals.json ? undefined : console.log(line));
  log(`Deployment #${deployment.number} (${deployment.id}) queued`);
  if (detach) return globals.json ? printJson(deployment) : undefined;
  const final = await followDeployment(client, deployment, log);
  const status = await client.get<ServiceStatusView>(servicePath(target));
  const url = routedUrl(status);
  if (globals.json) printJson({ deployment: final, url });
  if (final.status !== 'ACTIVE') {
    throw new WharfError('DEPLOY_FAILED', `deployment #${final.number} ${final.status}: ${final.reason ?? 'no reason recorded'}`, {
      hint: status.activeDeployment
        ? `Deployment #${status.activeDeployment.number} is still ${url ? `serving ${url}` : `running${whereLive(status)}`}.`
        : 'See `wharf logs --build`.',
    });
  }
  log(`Deployment #${final.number} is live${whereLive(status)}`);
}

export function registerActions(program: Command, ctx: CliContext): void {
  program
    .command('redeploy')
    .description("Rebuild the latest deployment's source and deploy it (today's settings and variables)")
    .option('-d, --detach', 'do not follow the deployment')
    .action(async (opts: { detach?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const target = ctx.target(globals);
      const deployment = await ctx.client().post<DeploymentView>(servicePath(target, '/redeploy'));
      await finish(ctx, target, deployment, globals, opts.detach);
    });

  program
    .command('rollback')
    .description('Re-activate an earlier deployment from its kept build (default: the previous live one); no rebuild')
    .argument('[deployment]', 'deployment id or number (see `wharf deployments`)')
    .option('--deployment-id <id>', 'the same as the argument (Railway’s flag)')
    .option('-d, --detach', 'do not follow the deployment')
    .action(async (given: string | undefined, opts: { detach?: boolean; deploymentId?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      if (given && opts.deploymentId && given !== opts.deploymentId) {
        throw new WharfError('BAD_REQUEST', `two deployments given: ${given} and --deployment-id ${opts.deploymentId}`, { hint: 'Give one of them.' });
      }
      const id = given ?? opts.deploymentId;
      const target = ctx.target(globals);
      const deployment = await ctx.client().post<DeploymentView>(servicePath(target, '/rollback'), id ? { deployment: id } : {});
      await finish(ctx, target, deployment, globals, opts.detach);
    });

  program
    .command('restart')
    .description("Replace the active deployment's replicas with fresh processes, without downtime")
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const target = ctx.target(globals);
      const deployment = await ctx.client().post<DeploymentView>(servicePath(target, '/restart'));
      if (globals.json) return printJson(deployment);
      console.log(`Restarted deployment #${deployment.number} of ${target.service}: ${deployment.status}`);
    });

  program
    .command('down')
    .description("Stop the service's active deployment and remove its route")
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (opts: { yes?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const target = ctx.target(globals);
      await confirm(`Stop ${target.service} in ${target.project}/${target.environment}?`, opts.yes);
      const deployment = await ctx.client().delete<DeploymentView>(servicePath(target, '/deployment'));
      if (globals.json) return printJson(deployment);
      console.log(`Removed deployment #${deployment.number} of ${target.service}; it no longer serves traffic. \`wharf rollback\` or \`wharf up\` brings it back.`);
    });
}
