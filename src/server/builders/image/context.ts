import { promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import dockerignoreModule from '@balena/dockerignore';
import * as tar from 'tar';

// The package is CommonJS (`module.exports = factory`) while its types say `export default`.
const dockerignore = dockerignoreModule as unknown as typeof dockerignoreModule.default;

// The build context sent to the engine: the context folder copied to a scratch folder minus
// what its .dockerignore excludes (Docker's own pattern rules, from @balena/dockerignore, the
// matcher dockerode uses), then packed with `tar`. Wharf applies .dockerignore itself because
// BuildKit behind the Engine API (20.10) does not when the context comes as a tar archive —
// the docker CLI filters on its side too. The Dockerfile must be in the archive: one that
// .dockerignore excludes, or that lies outside the context, goes in as `.wharf.Dockerfile`.
// A generated Dockerfile sits beside the source instead (the source under `app/`), so no file
// of Wharf's lands in the image.

export interface StagedContext {
  dir: string;
  /** The Dockerfile's path inside the context. */
  dockerfile: string;
  tar(): Readable;
  remove(): Promise<void>;
}

export interface StageOptions {
  /** The context folder (absolute). */
  contextDir: string;
  /** The user's Dockerfile (absolute); it may lie outside the context (render.yaml dockerContext). */
  dockerfilePath?: string;
  /** Or a generated one, with files to add to the source (by path inside it). */
  generated?: { dockerfile: string; extra: Record<string, string | Buffer> };
  workRoot?: string;
}

/** The name a user's Dockerfile gets when it comes from outside the context or is ignored. */
export const ADDED_DOCKERFILE = '.wharf.Dockerfile';
/** Where the source goes beside a generated Dockerfile. */
export const GENERATED_SOURCE_DIR = 'app';

export async function stageContext(opts: StageOptions): Promise<StagedContext> {
  const root = opts.workRoot ?? os.tmpdir();
  await fs.mkdir(root, { recursive: true });
  const dir = await fs.mkdtemp(path.join(root, '.wharf-context-'));
  try {
    const ignoreText = await fs.readFile(path.join(opts.contextDir, '.dockerignore'), 'utf8').catch(() => '');
    const rules = ignoreText.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const matcher = dockerignore({ ignorecase: false }).add(rules);
    const negations = rules.some((r) => r.startsWith('!'));
    const sourceDir = opts.generated ? path.join(dir, GENERATED_SOURCE_DIR) : dir;

    await fs.cp(opts.contextDir, sourceDir, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true,
      filter: async (src) => {
        const rel = path.relative(opts.contextDir, src).split(path.sep).join('/');
        if (rel === '' || !matcher.ignores(rel)) return true;
        // An ignored folder may still hold a file a `!pattern` brings back: walk into it.
        return negations && (await fs.lstat(src)).isDirectory();
      },
    });

    await readableModes(sourceDir);

    let dockerfile: string;
    if (opts.generated) {
      dockerfile = 'Dockerfile';
      await fs.writeFile(path.join(dir, dockerfile), opts.generated.dockerfile);
      for (const [rel, content] of Object.entries(opts.generated.extra)) {
        await fs.mkdir(path.dirname(path.join(sourceDir, rel)), { recursive: true });
        await fs.writeFile(path.join(sourceDir, rel), content);
      }
    } else {
      const given = opts.dockerfilePath ?? path.join(opts.contextDir, 'Dockerfile');
      const rel = path.relative(opts.contextDir, given).split(path.sep).join('/');
      const inContext = !rel.startsWith('../') && !matcher.ignores(rel);
      dockerfile = inContext ? rel : ADDED_DOCKERFILE;
      if (!inContext) await fs.copyFile(given, path.join(dir, ADDED_DOCKERFILE));
    }
    return {
      dir,
      dockerfile,
      // portable: no host user names or ids in the archive; COPY makes files root's unless --chown.
      // Top-level names rather than '.', so archive paths have no `./` prefix.
      tar: () => tar.create({ cwd: dir, portable: true }, readdirSync(dir)) as unknown as Readable,
      remove: () => fs.rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Stored sources are Wharf's alone (0600/0700, source/unpack.ts). Docker copies modes as they
 * are, so a Dockerfile's `USER node` could not read its own files: the context gets the modes a
 * checkout has instead (folders 0755, files 0644, or 0755 when executable).
 */
async function readableModes(root: string): Promise<void> {
  for (const entry of await fs.readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isSymbolicLink()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isDirectory()) await fs.chmod(file, 0o755);
    else if (entry.isFile()) await fs.chmod(file, ((await fs.lstat(file)).mode & 0o100) !== 0 ? 0o755 : 0o644);
  }
}
