import path from 'node:path';
import type { Command } from 'commander';
import type { DeploymentView, ServiceStatusView } from '../../core/api.js';
import { WharfError } from '../../core/errors.js';
import { checkName } from '../../core/names.js';
import { servicePath, type CliContext, type GlobalOptions } from '../context.js';
import { followDeployment } from '../output/follow-deployment.js';
import { printJson } from '../output/table.js';
import { packFolder } from '../pack.js';

export function registerUp(program: Command, ctx: CliContext): void {
  program
    .command('up')
    .description('Upload this folder, build it and deploy it; streams build and deploy output')
    .argument('[path]', 'folder to deploy', '.')
    .option('-d, --detach', 'return once the upload is accepted, without following the deployment')
    .action(async (folder: string, opts: { detach?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const target = ctx.target(globals, 'web');
      checkName('service', target.service);
      const dir = path.resolve(folder);
      const client = ctx.client();
      const log = (line: string) => (globals.json ? undefined : console.log(line));

      const pack = await packFolder(dir);
      let deployment: DeploymentView;
      try {
        log(`Uploading ${pack.files} files (${(pack.bytes / 1024).toFixed(1)} KiB) to ${target.project}/${target.environment}/${target.service}`);
        deployment = await client.upload<DeploymentView>(servicePath(target, '/deployments?create=1'), pack.file);
      } finally {
        await pack.cleanup();
      }
      const link = ctx.link(dir);
      if (!link || link.project === target.project) ctx.saveLink(dir, { project: target.project, environment: target.environment, service: target.service });
      log(`Deployment #${deployment.number} (${deployment.id}) queued`);
      if (opts.detach) {
        if (globals.json) printJson(deployment);
        return;
      }
      const final = await followDeployment(client, deployment, log);
      const status = await client.get<ServiceStatusView>(servicePath(target));
      if (globals.json) printJson({ deployment: final, url: status.url });
      if (final.status !== 'ACTIVE') {
        throw new WharfError('DEPLOY_FAILED', `deployment #${final.number} ${final.status}: ${final.reason ?? 'no reason recorded'}`, {
          hint: status.activeDeployment ? `Deployment #${status.activeDeployment.number} is still serving ${status.url}. See \`wharf logs --build\`.` : 'See `wharf logs --build` for the build output.',
        });
      }
      log(`\nDeployment #${final.number} is live: ${status.url}`);
    });
}
