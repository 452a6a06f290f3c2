import { readLimitOverride } from '../limit-override.js';
import type { ImportResult, ProjectSpecInput, ServiceSpec } from '../../../core/project-spec.js';
import type { ServiceSettingsPatch } from '../../../core/settings.js';
import { loadRailwayConfig } from '../railway-config.js';
import { UNSUPPORTED, type RailwayBuild, type RailwayDeploy } from '../railway-schema.js';
import { Warnings, type PathSegment, type SourceDocument } from '../source.js';
import { Checks, environmentList, finish, Names, type ImportOptions } from './common.js';

// railway.json / railway.toml → one service (REFERENCE.md §1): build/deploy onto its
// settings, `environments.<name>` onto its per-environment overrides. Fields Wharf does not
// honour yet become warnings; anything unknown is an error (railway-schema.ts).

type Override = NonNullable<ServiceSpec['environments']>[string];
const HINT = 'See docs/config-as-code.md for how railway.json/toml maps onto Wharf.';

export function importRailway(file: string, text: string, opts: ImportOptions = {}): ImportResult {
  const { config, value, locate } = loadRailwayConfig(file, text);
  const doc: SourceDocument = { file, value, locate: (p) => locate(p) };
  const warnings = new Warnings(doc);
  const checks = new Checks(doc, HINT);
  const serviceName = opts.serviceName ?? 'web';

  const base: Record<string, unknown> = {};
  const cron = sections(checks, warnings, [], config.build, config.deploy, base);
  const service: Record<string, unknown> = { kind: cron ? 'cron' : 'web', ...base };

  const envNames = new Names(warnings, 'environment');
  const environments: Record<string, Override> = {};
  for (const [original, env] of Object.entries(config.environments ?? {})) {
    const path = ['environments', original];
    const name = envNames.name(original, path);
    if (original === 'pr') warnings.add(path, "Railway applies 'pr' to every PR environment; Wharf imports it as the environment named 'pr'");
    const override: Record<string, unknown> = {};
    const envCron = sections(checks, warnings, path, env?.build, env?.deploy, override);
    if (envCron && !cron) warnings.add([...path, 'deploy', 'cronSchedule'], 'a service is a cron job in every environment or in none; the schedule applies here but the service stays a web service');
    environments[name] = override as Override;
  }
  if (Object.keys(environments).length > 0) service.environments = environments;
  const input: ProjectSpecInput = {
    environments: environmentList(Object.keys(environments)),
    services: { [serviceName]: service as NonNullable<ProjectSpecInput['services']>[string] },
  };
  return finish(doc, input, warnings);
}

/** Maps one build + deploy pair onto `out`; true when it set a cron schedule. */
function sections(
  checks: Checks,
  warnings: Warnings,
  prefix: PathSegment[],
  build: RailwayBuild | null | undefined,
  deploy: RailwayDeploy | null | undefined,
  out: Record<string, unknown>,
): boolean {
  const settings = out as ServiceSettingsPatch & Record<string, unknown>;
  if (build) {
    const at = [...prefix, 'build'];
    const raw = build as Record<string, unknown>;
    for (const field of UNSUPPORTED.build) if (raw[field] !== undefined) warnings.add([...at, field], 'not supported yet; ignored');
    const builder = build.builder;
    if (builder === 'NIXPACKS' || builder === 'HEROKU' || builder === 'PAKETO') warnings.add([...at, 'builder'], `${builder} is not a Wharf builder; Wharf detects the builder (AUTO)`);
    else if (builder && builder !== 'RAILPACK') settings.builder = builder;
    if (build.buildCommand) settings.buildCommand = build.buildCommand;
    if (build.dockerfilePath) settings.dockerfilePath = build.dockerfilePath;
  }
  let cron = false;
  if (deploy) {
    const at = [...prefix, 'deploy'];
    const raw = deploy as Record<string, unknown>;
    for (const field of UNSUPPORTED.deploy) if (raw[field] !== undefined) warnings.add([...at, field], 'not supported yet; ignored');
    if (deploy.startCommand) settings.startCommand = deploy.startCommand;
    if (deploy.healthcheckPath) settings.healthcheckPath = deploy.healthcheckPath;
    for (const field of ['healthcheckTimeout', 'restartPolicyMaxRetries', 'numReplicas', 'overlapSeconds', 'drainingSeconds', 'preDeployTimeoutSeconds'] as const) {
      const v = deploy[field];
      if (typeof v === 'number') settings[field] = v;
    }
    if (deploy.restartPolicyType) settings.restartPolicyType = deploy.restartPolicyType;
    const pre = raw.preDeployCommand;
    if (pre !== undefined && pre !== null) {
      const commands = Array.isArray(pre) ? pre : [pre];
      commands.forEach((c, i) => {
        if (typeof c !== 'string' || c.trim() === '') checks.expected(Array.isArray(pre) ? [...at, 'preDeployCommand', i] : [...at, 'preDeployCommand'], 'a command string or a list of them', c);
      });
      if (commands.length > 0) out.preDeployCommand = (commands as string[]).map((c) => c.trim()).join(' && ');
    }
    if (raw.limitOverride !== undefined && raw.limitOverride !== null) {
      const limits = readLimitOverride(raw.limitOverride);
      Object.assign(out, limits.settings);
      for (const p of limits.problems) {
        if (p.message.endsWith('ignored')) warnings.add([...at, 'limitOverride', ...p.path], p.message);
        else checks.fail([...at, 'limitOverride', ...p.path], p.message);
      }
    }
    const schedule = raw.cronSchedule;
    if (schedule !== undefined && schedule !== null) {
      if (typeof schedule !== 'string' || schedule.trim() === '') checks.expected([...at, 'cronSchedule'], 'a cron expression such as "0 2 * * *"', schedule);
      out.schedule = (schedule as string).trim();
      cron = true;
    }
  }
  return cron;
}
