import type { BuildPlan, Builder, DetectContext, SourceDir } from '../../core/build.js';
import { WharfError } from '../../core/errors.js';
import type { BuilderName, ServiceSettings } from '../../core/settings.js';
import { COMMANDS_REQUIREMENT, createCommandsBuilder } from './commands/commands-builder.js';
import { createNodeBuilder, NODE_REQUIREMENT } from './node/node-builder.js';
import type { FindExecutable } from './node/package-manager.js';
import { createProcfileBuilder, PROCFILE_REQUIREMENT } from './procfile/procfile-builder.js';
import { createStaticBuilder, STATIC_REQUIREMENT } from './static/static-builder.js';

// Which builder plans a source: the one the settings name, or the first that recognises
// it in this order. The user's buildCommand/startCommand then replace what was detected.

type ConcreteBuilder = Exclude<BuilderName, 'AUTO'>;

const REQUIREMENTS: Record<ConcreteBuilder, string> = {
  PROCFILE: PROCFILE_REQUIREMENT,
  NODE: NODE_REQUIREMENT,
  STATIC: STATIC_REQUIREMENT,
  COMMANDS: COMMANDS_REQUIREMENT,
};

/** The builders in detection order. */
export function defaultBuilders(options: { findExecutable?: FindExecutable } = {}): Builder[] {
  return [createProcfileBuilder(options), createNodeBuilder(options), createStaticBuilder(options), createCommandsBuilder()];
}

export async function planBuild(
  source: SourceDir,
  settings: ServiceSettings,
  context: DetectContext = { runtime: 'process', variables: {} },
  builders: readonly Builder[] = defaultBuilders(),
): Promise<BuildPlan> {
  const plan = settings.builder === 'AUTO' ? await detectAuto(source, settings, context, builders) : await detectExplicit(source, settings, context, builders);
  return applyUserCommands(plan, settings);
}

async function detectExplicit(source: SourceDir, settings: ServiceSettings, context: DetectContext, builders: readonly Builder[]): Promise<BuildPlan> {
  const name = settings.builder as ConcreteBuilder;
  const builder = builders.find((b) => b.name === name);
  const plan = builder ? await builder.detect(source, settings, context) : null;
  if (plan) return plan;
  throw new WharfError('NO_BUILDER', `The ${name} builder was asked for, but it needs ${REQUIREMENTS[name]} and this source has none`, {
    hint: `Add what it needs, or let Wharf detect the builder: \`wharf settings --set builder=AUTO\`.`,
  });
}

async function detectAuto(source: SourceDir, settings: ServiceSettings, context: DetectContext, builders: readonly Builder[]): Promise<BuildPlan> {
  for (const builder of builders) {
    const plan = await builder.detect(source, settings, context);
    if (plan) return plan;
  }
  const looked = builders.map((b) => `${REQUIREMENTS[b.name]} (${b.name})`).join('; ');
  throw new WharfError('NO_BUILDER', 'Wharf could not tell how to build and start this source', {
    hint: `Wharf looks for ${looked}. Add one of these, or name the start command: \`wharf settings --set startCommand="node server.js"\`.`,
  });
}

/** buildCommand replaces the build step(s), keeping the install; startCommand replaces the start. */
export function applyUserCommands(plan: BuildPlan, settings: Pick<ServiceSettings, 'buildCommand' | 'startCommand'>): BuildPlan {
  let { steps, start, summary } = plan;
  if (settings.buildCommand) {
    steps = [...steps.filter((s) => s.name !== 'build'), { name: 'build', argv: ['sh', '-c', settings.buildCommand] }];
    if (plan.builder !== 'COMMANDS') summary += ', custom build command';
  }
  if (settings.startCommand) {
    start = { argv: ['sh', '-c', settings.startCommand], kind: start.kind };
    if (plan.builder !== 'COMMANDS') summary += ', custom start command';
  }
  return { ...plan, summary, steps, start };
}
