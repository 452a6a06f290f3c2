import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { create } from 'tar';

// `wharf up` packs the folder the way git would see it: .gitignore files (root and
// nested) and .wharfignore files (same syntax, applied after .gitignore) are honoured,
// .git/ is always left out, symlinks stay symlinks, every path is relative.

export interface PackedFolder {
  file: string;
  bytes: number;
  files: number;
  cleanup(): Promise<void>;
}

const IGNORE_FILES = ['.gitignore', '.wharfignore'] as const;

interface Rules {
  /** Folder (relative to the packed root, '' for the root) whose ignore files these are. */
  base: string;
  ig: Ignore;
}

export async function packFolder(dir: string): Promise<PackedFolder> {
  const root = path.resolve(dir);
  if (!(await fs.stat(root)).isDirectory()) throw new Error(`${dir} is not a folder`);
  const entries = await listFolder(root);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-pack-'));
  const file = path.join(tmp, 'source.tar.gz');
  try {
    await create({ gzip: true, cwd: root, file, portable: true, noDirRecurse: true, follow: false }, entries.length ? entries : ['.']);
    const { size } = await fs.stat(file);
    return {
      file,
      bytes: size,
      files: entries.filter((e) => !e.endsWith('/')).length,
      cleanup: () => fs.rm(tmp, { recursive: true, force: true }),
    };
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Relative paths to pack, folders with a trailing '/', in a stable order. */
export async function listFolder(root: string): Promise<string[]> {
  const out: string[] = [];
  await walk(root, '', [], out);
  return out;
}

async function walk(root: string, rel: string, inherited: Rules[], out: string[]): Promise<void> {
  const here = path.join(root, rel);
  const rules = [...inherited];
  for (const name of IGNORE_FILES) {
    try {
      rules.push({ base: rel, ig: ignore().add(await fs.readFile(path.join(here, name), 'utf8')) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const dirents = (await fs.readdir(here, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const dirent of dirents) {
    const childRel = rel ? `${rel}/${dirent.name}` : dirent.name;
    const isDir = dirent.isDirectory();
    if (isDir && dirent.name === '.git') continue;
    if (isIgnored(rules, childRel, isDir)) continue;
    if (isDir) {
      out.push(`${childRel}/`);
      await walk(root, childRel, rules, out);
    } else if (dirent.isFile() || dirent.isSymbolicLink()) {
      out.push(childRel);
    }
    // sockets, fifos and devices are never packed
  }
}

/** Deeper (and later) rule files win, as in git: the first that decides, from the deepest. */
function isIgnored(rules: readonly Rules[], rel: string, isDir: boolean): boolean {
  for (let i = rules.length - 1; i >= 0; i--) {
    const { base, ig } = rules[i]!;
    const local = base ? rel.slice(base.length + 1) : rel;
    const result = ig.test(isDir ? `${local}/` : local);
    if (result.ignored) return true;
    if (result.unignored) return false;
  }
  return false;
}
