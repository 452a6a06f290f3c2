import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BuildPlan, BuiltArtifact, LogSink, SourceDir } from '../../core/build.js';
import { WharfError } from '../../core/errors.js';
import type { RunAs } from '../../core/runtime.js';
import { runCommand } from '../exec/run-command.js';
import { chownTree, sealRelease } from '../isolation/work-copy.js';
import { displayArgv } from '../../shared/source-files.js';
import { staticDirsOf, staticServerFiles } from './static/static-builder.js';

// Runs any builder's plan: copy the source, run each step in the copy, record the plan,
// then rename the copy into place. A release directory only ever exists complete.
// With `user`, the copy is made in `workRoot` (under WHARF_APPS_DIR, outside the state folder),
// owned by that user, and the steps run as it with a HOME of their own; the finished build is
// then sealed (Wharf's, read-only to everyone else) before it moves into the state folder, so
// nothing a replica or a one-off command does can change it afterwards.

export const ARTIFACT_FILE = 'wharf-artifact.json';

export interface BuildReleaseOptions {
  releaseDir: string;
  env: Record<string, string>;
  log: LogSink;
  signal?: AbortSignal;
  /** For each step. */
  timeoutMs?: number;
  /** The service's user: the steps run as it (needs root). */
  user?: RunAs | null;
  /** Where the build runs; default beside the release. */
  workRoot?: string;
}

export async function buildRelease(plan: BuildPlan, source: SourceDir, opts: BuildReleaseOptions): Promise<BuiltArtifact> {
  const parent = path.dirname(opts.releaseDir);
  await fs.mkdir(parent, { recursive: true });
  if (await fs.stat(opts.releaseDir).then(() => true, () => false)) {
    throw new WharfError('CONFLICT', `the release folder ${opts.releaseDir} already exists`, { hint: 'Releases are immutable: build into a new release id.' });
  }
  const root = opts.workRoot ?? parent;
  await fs.mkdir(root, { recursive: true });
  const work = await fs.mkdtemp(path.join(root, `.tmp-${path.basename(opts.releaseDir)}-`));
  const user = opts.user ?? null;
  const home = user ? `${work}.home` : null;
  try {
    opts.log(`==> ${plan.summary}`, 'sys');
    await fs.cp(source.path, work, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    if (user && home) {
      await fs.mkdir(home, { mode: 0o700 });
      await chownTree(work, user);
      await chownTree(home, user);
    }
    const env = { ...buildEnv(opts.env), ...(home ? { HOME: home } : {}) };
    const total = plan.steps.length;
    for (const [index, step] of plan.steps.entries()) {
      const shown = displayArgv(step.argv);
      opts.log(`==> [${index + 1}/${total}] ${shown}`, 'sys');
      await runStep(step.argv, shown, work, env, user, opts);
    }
    if (plan.builder === 'STATIC') await checkStaticOutput(plan, work);
    // Written after the build, as Wharf (the release is sealed next): a site cannot replace it.
    const bundled = Object.entries(await staticServerFiles(plan.start.argv));
    if (bundled.length > 0) await fs.rm(path.join(work, '.wharf'), { recursive: true, force: true });
    for (const [file, content] of bundled) {
      await fs.mkdir(path.dirname(path.join(work, file)), { recursive: true });
      await fs.writeFile(path.join(work, file), content);
    }
    opts.log(`==> start: ${displayArgv(plan.start.argv)}`, 'sys');
    const record = { plan, source: { digest: source.digest }, createdAt: new Date().toISOString() };
    await fs.writeFile(path.join(work, ARTIFACT_FILE), JSON.stringify(record, null, 2) + '\n');
    await sealRelease(work);
    await moveInto(work, opts.releaseDir);
    return { ref: { kind: 'release', releaseDir: opts.releaseDir } };
  } catch (err) {
    await fs.rm(work, { recursive: true, force: true });
    throw err;
  } finally {
    if (home) await fs.rm(home, { recursive: true, force: true });
  }
}

/** rename(2), or a copy when WHARF_APPS_DIR is on another filesystem than the state folder. */
async function moveInto(work: string, releaseDir: string): Promise<void> {
  try {
    await fs.rename(work, releaseDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const partial = `${releaseDir}.partial`;
    await fs.cp(work, partial, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    await fs.rename(partial, releaseDir);
    await fs.rm(work, { recursive: true, force: true });
  }
}

export async function removeRelease(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

function buildEnv(given: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { ...given };
  for (const key of ['PATH', 'HOME'] as const) {
    if (env[key] === undefined && process.env[key] !== undefined) env[key] = process.env[key]!;
  }
  env.CI = 'true';
  return env;
}

const LOGS_HINT = 'Read the build output with `wharf logs --build`, fix the cause and deploy again.';

async function runStep(argv: string[], shown: string, cwd: string, env: Record<string, string>, user: RunAs | null, opts: BuildReleaseOptions): Promise<void> {
  let result;
  try {
    result = await runCommand(argv, { cwd, env, user, onLine: opts.log, timeoutMs: opts.timeoutMs, signal: opts.signal });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `step '${shown}' could not start: '${argv[0]}' is not installed on the Wharf server` : `step '${shown}' could not start: ${(err as Error).message}`;
    throw new WharfError('BUILD_FAILED', message, {
      hint: code === 'ENOENT' ? `Install '${argv[0]}' on the server (or enable corepack), or set your own build command: \`wharf settings --set buildCommand="..."\`.` : LOGS_HINT,
      cause: err,
    });
  }
  if (result.aborted) throw new WharfError('BUILD_FAILED', `step '${shown}' was cancelled`, { hint: 'Deploy again when ready.' });
  if (result.timedOut) {
    throw new WharfError('BUILD_FAILED', `step '${shown}' took longer than ${Math.round((opts.timeoutMs ?? 0) / 1000)}s and was stopped`, { hint: LOGS_HINT });
  }
  if (result.exitCode !== 0) {
    const how = result.exitCode === null ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
    throw new WharfError('BUILD_FAILED', `step '${shown}' ${how}`, { hint: LOGS_HINT });
  }
}

async function checkStaticOutput(plan: BuildPlan, work: string): Promise<void> {
  // The static server's arguments are its candidate folders (see static-builder.ts).
  const dirs = staticDirsOf(plan.start.argv);
  if (!dirs || dirs.length === 0) return;
  for (const dir of dirs) {
    try {
      if ((await fs.stat(path.join(work, dir, 'index.html'))).isFile()) return;
    } catch {
      /* next */
    }
  }
  throw new WharfError('BUILD_FAILED', `the build produced no index.html in ${dirs.map((d) => (d === '.' ? 'the root' : `${d}/`)).join(', ')}`, {
    hint: 'Make the build write the site to dist/ (or set `wharf settings --set staticDir=<folder>`).',
  });
}
