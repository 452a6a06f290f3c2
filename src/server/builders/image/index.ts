import path from 'node:path';
import type Docker from 'dockerode';
import type { ArtifactRef } from '../../../core/artifact.js';
import type { BuildPlan, BuiltArtifact, SourceDir } from '../../../core/build.js';
import { WharfError } from '../../../core/errors.js';
import type { BuildOptions } from '../../deploy/context.js';
import { readText } from '../../../shared/source-files.js';
import { parseDockerfile } from '../dockerfile/parse-dockerfile.js';
import { stageContext, type StageOptions } from './context.js';
import { defaultDocker, homeLabel, imageBuildSettings, supportsBuildkit, type ImageBuildSettings, type ImageEngine } from './engine.js';
import { baseImageFor, planDockerfile } from './plan-dockerfile.js';
import { staticServerFiles } from '../static/static-builder.js';
import { BuildProgress, type BuildMessage } from './progress.js';

// Builds a plan into an image through the Engine API: the user's Dockerfile, or one generated
// from an auto-detected plan. The image is tagged wharf/<instance>:<artifact> and referenced by
// its ID, so a later re-tag never changes what a deployment runs. A failed, cancelled or timed
// out build leaves no tag, and forcerm removes the legacy builder's intermediate containers.

export type { ImageEngine } from './engine.js';

const LOGS_HINT = 'Read the build output with `wharf logs --build`, fix the cause and deploy again.';

export function imageTag(instanceId: string, artifactId: string): string {
  return `wharf/${instanceId}:${artifactId}`.toLowerCase();
}

/** What the BuildService adds to BuildOptions for image builds: the engine and WHARF_HOME (labels). */
export interface ImageBuildOptions extends BuildOptions {
  dockerHost?: string;
  home?: string;
}

export async function buildImageArtifact(plan: BuildPlan, source: SourceDir, opts: ImageBuildOptions, engine?: ImageEngine): Promise<BuiltArtifact> {
  const docker = engine?.docker ?? (await defaultDocker(opts.dockerHost));
  const settings: ImageBuildSettings = { ...imageBuildSettings(), ...(engine?.settings ?? {}) };
  const tag = imageTag(opts.instanceId, opts.artifactId);
  opts.log(`==> ${plan.summary}`, 'sys');

  const stage = await contextFor(plan, source, settings, opts);
  const staged = await stageContext({ ...stage, workRoot: opts.workRoot });
  try {
    const buildkit = await supportsBuildkit(docker, settings.buildkit);
    const buildargs = plan.dockerfile ? pick(opts.env, plan.dockerfile.args) : {};
    const passed = Object.keys(buildargs);
    opts.log(`==> building ${tag} with ${buildkit ? 'BuildKit' : 'the legacy builder'}${passed.length ? `; build args: ${passed.join(', ')}` : ''}${settings.network ? `; network ${settings.network}` : ''}`, 'sys');
    const progress = new BuildProgress(opts.log);
    const timedOut = await runBuild(docker, staged.tar(), {
      t: tag,
      dockerfile: staged.dockerfile,
      ...(plan.dockerfile?.target ? { target: plan.dockerfile.target } : {}),
      buildargs,
      forcerm: true,
      rm: true,
      labels: imageLabels(plan, opts, engine?.labels),
      ...(buildkit ? { version: '2' } : {}),
      ...(settings.network ? { networkmode: settings.network } : {}),
    }, progress, settings.timeoutMs, opts.signal);
    progress.flush();
    if (opts.signal?.aborted) throw await failed(docker, tag, 'the build was cancelled', 'Deploy again when ready.');
    if (timedOut) throw await failed(docker, tag, `the build took longer than ${Math.round(settings.timeoutMs / 1000)}s and was stopped`, 'Make the build faster, or raise WHARF_BUILD_TIMEOUT (seconds) on the server.');
    if (progress.error) throw await failed(docker, tag, `the image build failed: ${progress.error}`, failureHint(progress.error, stage.syntax, buildkit), progress.tail);
    const image = await docker.getImage(tag).inspect().catch(() => null);
    if (!image) throw new WharfError('BUILD_FAILED', `the engine reported no image for ${tag}`, { hint: LOGS_HINT });
    opts.log(`==> image ${tag} (${image.Id.slice(0, 19)}…, ${formatSize(image.Size)}${progress.cachedSteps ? `, ${progress.cachedSteps} cached step${progress.cachedSteps === 1 ? '' : 's'}` : ''})`, 'sys');
    return { ref: { kind: 'image', image: tag, digest: image.Id }, sizeBytes: image.Size, cachedSteps: progress.cachedSteps };
  } finally {
    await staged.remove();
  }
}

/** Removes an image Wharf built, by ID; an image still used by a container, or already gone, stays/is fine. */
export async function removeImageArtifact(ref: ArtifactRef, engine?: Pick<ImageEngine, 'docker'> | { dockerHost?: string }): Promise<void> {
  if (ref.kind !== 'image') return;
  const docker = engine && 'docker' in engine ? engine.docker : await defaultDocker(engine?.dockerHost);
  for (const name of [ref.image, ref.digest]) {
    try {
      // The tag first (only if it still names this image), then the ID for any other tag of ours.
      if (name === ref.image) {
        const info = await docker.getImage(name).inspect();
        if (info.Id !== ref.digest) continue;
      }
      await docker.getImage(name).remove({ noprune: false });
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404 || status === 409) continue; // gone, or in use by a container: kept
      throw err;
    }
  }
}

interface ContextPlan extends Omit<StageOptions, 'workRoot'> {
  syntax: string | null;
}

async function contextFor(plan: BuildPlan, source: SourceDir, settings: ImageBuildSettings, opts: BuildOptions): Promise<ContextPlan> {
  if (plan.dockerfile) {
    const { dockerfile, context } = plan.dockerfile;
    const info = parseDockerfile((await readText(source.path, dockerfile)) ?? '');
    if (info.syntax) {
      opts.log(`warning: ${dockerfile} asks for the BuildKit frontend '${info.syntax}' (# syntax=): Wharf does not fetch frontends from a registry; the engine decides what happens (without registry access the build fails)`, 'err');
    }
    return { contextDir: path.join(source.path, context), dockerfilePath: path.join(source.path, dockerfile), syntax: info.syntax };
  }
  const base = baseImageFor(plan, settings.baseImages);
  const text = planDockerfile(plan, base);
  opts.log('==> generated Dockerfile:', 'sys');
  for (const line of text.trimEnd().split('\n')) opts.log(`    ${line}`, 'sys');
  return { contextDir: source.path, generated: { dockerfile: text, extra: await staticServerFiles(plan.start.argv) }, syntax: null };
}

/** Runs one build request to its end; true when the time limit stopped it. */
async function runBuild(
  docker: Docker,
  tarStream: NodeJS.ReadableStream,
  options: Record<string, unknown>,
  progress: BuildProgress,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) controller.abort();
  try {
    const stream = await docker.buildImage(tarStream, { ...options, abortSignal: controller.signal } as Docker.ImageBuildOptions);
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (buffered + chunk.toString('utf8')).split('\n');
        buffered = lines.pop()!;
        for (const line of lines) if (line.trim()) handleLine(progress, line);
      });
      stream.on('end', () => {
        if (buffered.trim()) handleLine(progress, buffered);
        resolve();
      });
      stream.on('error', (err: Error) => (controller.signal.aborted ? resolve() : reject(err)));
      stream.on('close', () => resolve());
    });
  } catch (err) {
    if (!controller.signal.aborted) throw new WharfError('BUILD_FAILED', `the engine refused the build: ${(err as Error).message}`, { hint: LOGS_HINT, cause: err });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  return timedOut;
}

function handleLine(progress: BuildProgress, line: string): void {
  try {
    progress.handle(JSON.parse(line) as BuildMessage);
  } catch {
    progress.handle({ stream: line + '\n' });
  }
}

/** The error for a build that did not finish; a tag it may have left (a race with the abort) is removed. */
async function failed(docker: Docker, tag: string, message: string, hint: string, tail: string[] = []): Promise<WharfError> {
  await docker.getImage(tag).remove().catch(() => undefined);
  return new WharfError('BUILD_FAILED', message, { hint, details: tail.length ? { output: tail } : undefined });
}

/** wharf.build says whether Wharf wrote the Dockerfile (its USER is then Wharf's uid 10001, owning /app). */
function imageLabels(plan: BuildPlan, opts: ImageBuildOptions, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    'wharf.managed': '1',
    ...(opts.home ? { 'wharf.home': homeLabel(opts.home) } : {}),
    'wharf.instance': opts.instanceId,
    'wharf.artifact': opts.artifactId,
    'wharf.build': plan.dockerfile ? 'dockerfile' : 'generated',
  };
}

/** The next step for engine errors that have one known cause (DOCKER-LAB §2). */
export function failureHint(error: string, syntax: string | null, buildkit: boolean): string {
  if (syntax) {
    return `The Dockerfile starts with \`# syntax=${syntax}\`: BuildKit then fetches that frontend from a registry, which this engine may not reach; remove the line to use the engine's built-in Dockerfile frontend. ${LOGS_HINT}`;
  }
  if (/--mount option requires BuildKit/i.test(error)) return 'RUN --mount needs BuildKit, and this build used the legacy builder (WHARF_DOCKER_BUILDKIT=0, or an engine whose daemon turns BuildKit off): unset WHARF_DOCKER_BUILDKIT or enable BuildKit on the engine.';
  if (/unknown flag: link/i.test(error) || (buildkit && /unknown instruction/i.test(error))) {
    return `COPY --link and heredocs (RUN <<EOF) need a newer Dockerfile frontend than this engine's built-in one; write them as plain COPY / RUN lines. ${LOGS_HINT}`;
  }
  return LOGS_HINT;
}

function pick(env: Record<string, string>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) if (env[name] !== undefined) out[name] = env[name]!;
  return out;
}

function formatSize(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
