import type { BuildPlan, Builder, DetectContext, SourceDir } from '../../core/build.js';
import { WharfError } from '../../core/errors.js';
import type { BuilderName, ServiceSettings } from '../../core/settings.js';
import { COMMANDS_REQUIREMENT, createCommandsBuilder } from './commands/commands-builder.js';
import { createDockerfileBuilder, DOCKERFILE_REQUIREMENT } from './dockerfile/dockerfile-builder.js';
import { createNodeBuilder, NODE_REQUIREMENT } from './node/node-builder.js';
import type { FindExecutable } from './node/package-manager.js';
import { createProcfileBuilder, PROCFILE_REQUIREMENT } from './procfile/procfile-builder.js';
import { createStaticBuilder, STATIC_REQUIREMENT } from './static/static-builder.js';

// Which builder plans a source: the one the settings name, or the first that recognises
// it in this order. The user's buildCommand/startCommand then replace what was detected.
// A Dockerfile comes first, as on Railway; only the docker runtime can build it, so on the
// process runtime a detected (not asked-for) Dockerfile gives way to the next builder that
// recognises the source, with a note in the build log.

type ConcreteBuilder = Exclude<BuilderName, 'AUTO'>;

const REQUIREMENTS: Record<ConcreteBuilder, string> = {
  PROCFILE: PROCFILE_REQUIREMENT,
  NODE: NODE_REQUIREMENT,
  STATIC: STATIC_REQUIREMENT,
  COMMANDS: COMMANDS_REQUIREMENT,
  DOCKERFILE: DOCKERFILE_REQUIREMENT,
};

const PROCESS_CONTEXT: DetectContext = { runtime: 'process', variables: {} };

/** The builders in detection order. */
export function defaultBuilders(options: { findExecutable?: FindExecutable } = {}): Builder[] {
  return [createDockerfileBuilder(), createProcfileBuilder(options), createNodeBuilder(options), createStaticBuilder(options), createCommandsBuilder()];
}

export async function planBuild(
  source: SourceDir,
  settings: ServiceSettings,
  context: DetectContext = PROCESS_CONTEXT,
  builders: readonly Builder[] = defaultBuilders(),
): Promise<BuildPlan> {
  const plan = settings.builder === 'AUTO' ? await detectAuto(source, settings, context, builders) : await detectExplicit(source, settings, context, builders);
  if (plan.builder === 'DOCKERFILE' && context.runtime !== 'docker') throw needsDocker(plan);
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
  let dockerfile: BuildPlan | null = null;
  for (const builder of builders) {
    const plan = await builder.detect(source, settings, context);
    if (!plan) continue;
    if (plan.builder !== 'DOCKERFILE' || context.runtime === 'docker') return dockerfile ? withDockerfileNote(plan, dockerfile) : plan;
    dockerfile ??= plan;
  }
  if (dockerfile) return dockerfile;
  const looked = builders.map((b) => `${REQUIREMENTS[b.name]} (${b.name})`).join('; ');
  throw new WharfError('NO_BUILDER', 'Wharf could not tell how to build and start this source', {
    hint: `Wharf looks for ${looked}. Add one of these, or name the start command: \`wharf settings --set startCommand="node server.js"\`.`,
  });
}

function needsDocker(plan: BuildPlan): WharfError {
  return new WharfError('NO_BUILDER', `this service builds from a Dockerfile (${plan.dockerfile?.dockerfile ?? 'Dockerfile'}), which needs the docker runtime`, {
    hint: 'Set `runtime = "docker"` in the project file (wharf.toml), or start the server with WHARF_RUNTIME=docker; or remove the Dockerfile to let Wharf detect a Node.js, static or Procfile build.',
  });
}

/** The process runtime builds without the Dockerfile it found: say so in the build log's first line. */
function withDockerfileNote(plan: BuildPlan, dockerfile: BuildPlan): BuildPlan {
  const file = dockerfile.dockerfile?.dockerfile ?? 'Dockerfile';
  return { ...plan, summary: `${plan.summary} — warning: ${file} is not used: the process runtime cannot build Dockerfiles (set runtime = "docker" to build it)` };
}

/** buildCommand replaces the build step(s), keeping the install; startCommand replaces the start. */
export function applyUserCommands(plan: BuildPlan, settings: Pick<ServiceSettings, 'buildCommand' | 'startCommand'>): BuildPlan {
  let { steps, start, summary } = plan;
  if (plan.builder === 'DOCKERFILE') {
    // The Dockerfile is the build; a start command replaces the image's CMD.
    if (settings.buildCommand) summary += ', build command ignored (the Dockerfile builds)';
    if (settings.startCommand) return { ...plan, summary: summary + ', custom start command', start: { argv: ['sh', '-c', settings.startCommand], kind: start.kind } };
    return { ...plan, summary };
  }
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
