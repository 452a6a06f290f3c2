import path from 'node:path';
import type { Command } from 'commander';
import type { DeploymentView, ProjectView, ServiceStatusView } from '../../core/api.js';
import { WharfError } from '../../core/errors.js';
import { checkName } from '../../core/names.js';
import { findProjectFile } from '../../shared/config/project-file.js';
import { readConfigFile } from '../../shared/config/read-config-file.js';
import type { ApiClient } from '../client.js';
import { servicePath, type CliContext, type GlobalOptions } from '../context.js';
import { followDeployment } from '../output/follow-deployment.js';
import { formatPlan, type PlanView } from '../output/plan.js';
import { whereLive } from '../output/where.js';
import { printJson } from '../output/table.js';
import { packFolder } from '../pack.js';
import { environmentPath, printFileWarnings } from './plan-apply.js';

// `wharf up`: with a project file (wharf.toml, render.yaml, compose, a multi-process Procfile)
// it applies the file to the environment and deploys every service from one upload; otherwise
// it deploys the folder as one service (`web` unless --service), reading railway.json/toml.

/** Files that describe several services; a railway file describes one and rides along per deployment. */
export const PROJECT_KINDS = new Set(['wharf', 'render', 'compose', 'procfile']);

async function upload<T>(client: ApiClient, dir: string, urlPath: string, log: (l: string) => void, what: string): Promise<T> {
  const pack = await packFolder(dir);
  try {
    log(`Uploading ${pack.files} files (${(pack.bytes / 1024).toFixed(1)} KiB) to ${what}`);
    return await client.upload<T>(urlPath, pack.file);
  } finally {
    await pack.cleanup();
  }
}

/** Follows several deployments at once, each line prefixed with its service when there are many. */
async function followAll(client: ApiClient, deployments: Array<{ service: string; deployment: DeploymentView }>, log: (l: string) => void): Promise<DeploymentView[]> {
  const many = deployments.length > 1;
  return Promise.all(
    deployments.map(({ service, deployment }) => followDeployment(client, deployment, (line) => log(many ? `[${service}] ${line}` : line))),
  );
}

export function registerUp(program: Command, ctx: CliContext): void {
  program
    .command('up')
    .description('Upload this folder, build it and deploy it; streams build and deploy output')
    .argument('[path]', 'folder to deploy', '.')
    .option('-d, --detach', 'return once the upload is accepted, without following the deployment')
    .option('--kind <kind>', 'when the service is new: web (default), worker (no port, no route) or cron (set its cronSchedule)')
    .action(async (folder: string, opts: { detach?: boolean; kind?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const dir = path.resolve(folder);
      const client = ctx.client();
      const log = (line: string) => (globals.json ? undefined : console.log(line));
      const found = await findProjectFile(dir);
      const { project, environment } = ctx.project(globals);

      let targets: Array<{ service: string; deployment: DeploymentView }>;
      const config = found && PROJECT_KINDS.has(found.kind) ? await readConfigFile(found.file, globals.service, dir) : null;
      if (config && globals.service && !(globals.service in config.spec.services) && found!.kind !== 'procfile') {
        throw new WharfError('NOT_FOUND', `${found!.file} has no service '${globals.service}'`, {
          hint: `Services in it: ${Object.keys(config.spec.services).join(', ') || 'none'}. Leave out --service to deploy them all.`,
        });
      }
      // A Procfile names processes, not services: `--service x` deploys the folder as service x.
      if (config && (!globals.service || globals.service in config.spec.services)) {
        if (!globals.json) printFileWarnings(config);
        const applied = await client.post<PlanView>(`${environmentPath(ctx, globals)}/apply`, { spec: config.spec });
        log(`Applied ${config.file} to ${project}/${environment}:`);
        log(formatPlan(applied));
        const only = globals.service ? `?services=${encodeURIComponent(globals.service)}` : '';
        const list = await upload<DeploymentView[]>(client, dir, `${environmentPath(ctx, globals)}/deployments${only}`, log, `${project}/${environment}`);
        const names = await serviceNames(client, ctx, globals);
        targets = list.map((deployment) => ({ service: names.get(deployment.id) ?? '?', deployment }));
        if (!ctx.link(dir)) ctx.saveLink(dir, { project, environment });
      } else {
        const service = checkName('service', ctx.target(globals, 'web').service);
        const deployment = await upload<DeploymentView>(client, dir, servicePath({ project, environment, service }, `/deployments?create=1${opts.kind ? `&kind=${encodeURIComponent(opts.kind)}` : ''}`), log, `${project}/${environment}/${service}`);
        // The first deploy links the folder; later ones with -e/-s leave the link as it is. A
        // link `wharf init` made names the service `up` would create: a first deploy under
        // another name (-s api) takes its place while the linked one was never created.
        const link = ctx.link(dir);
        if (!link) ctx.saveLink(dir, { project, environment, service });
        else if (link.project === project && (!link.service || (link.service !== service && !(await serviceExists(client, project, link.service))))) ctx.saveLink(dir, { ...link, service });
        targets = [{ service, deployment }];
      }
      for (const t of targets) log(`Deployment #${t.deployment.number} of ${t.service} (${t.deployment.id}) queued`);
      if (opts.detach) {
        if (globals.json) printJson(targets);
        return;
      }

      const finals = await followAll(client, targets, log);
      const statuses = await client.get<ServiceStatusView[]>(`${environmentPath(ctx, globals)}/services`);
      const results = targets.map((t, i) => ({ service: t.service, deployment: finals[i]!, url: statuses.find((s) => s.service === t.service)?.url ?? null }));
      if (globals.json) printJson(results.length === 1 ? results[0] : results);
      const failed = results.filter((r) => r.deployment.status !== 'ACTIVE');
      for (const r of results.filter((x) => x.deployment.status === 'ACTIVE')) {
        const status = statuses.find((s) => s.service === r.service);
        const which = results.length > 1 ? ` of ${r.service}` : '';
        log(`\nDeployment #${r.deployment.number}${which} is live${whereLive(status, r.url)}`);
      }
      if (failed.length > 0) {
        const first = failed[0]!;
        const serving = statuses.find((s) => s.service === first.service)?.activeDeployment;
        throw new WharfError('DEPLOY_FAILED', failed.map((f) => `deployment #${f.deployment.number} of ${f.service} ${f.deployment.status}: ${f.deployment.reason ?? 'no reason recorded'}`).join('\n'), {
          hint: serving ? `Deployment #${serving.number} is still serving ${first.url}. See \`wharf logs --build -s ${first.service}\`.` : `See \`wharf logs --build -s ${first.service}\` for the build output.`,
        });
      }
    });
}

async function serviceExists(client: ApiClient, project: string, service: string): Promise<boolean> {
  const view = await client.get<ProjectView>(`/v1/projects/${encodeURIComponent(project)}`);
  return view.services.some((s) => s.name === service);
}

/** deployment id → service name, from the environment's status. */
async function serviceNames(client: ApiClient, ctx: CliContext, globals: GlobalOptions): Promise<Map<string, string>> {
  const statuses = await client.get<ServiceStatusView[]>(`${environmentPath(ctx, globals)}/services`);
  const names = new Map<string, string>();
  for (const s of statuses) {
    for (const d of [s.latestDeployment, s.activeDeployment]) if (d) names.set(d.id, s.service);
  }
  return names;
}
