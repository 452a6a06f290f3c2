import { promises as fs } from 'node:fs';
import path from 'node:path';

// Builders only plan from what they see in the source: these read it, nothing else.

export async function isFile(root: string, rel: string): Promise<boolean> {
  try {
    return (await fs.stat(path.join(root, rel))).isFile();
  } catch {
    return false;
  }
}

export async function readText(root: string, rel: string): Promise<string | null> {
  try {
    return await fs.readFile(path.join(root, rel), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return null;
    throw err;
  }
}

/** The first of `candidates` that is a file in root, or null. */
export async function firstFile(root: string, candidates: readonly string[]): Promise<string | null> {
  for (const candidate of candidates) if (await isFile(root, candidate)) return candidate;
  return null;
}

/** A step or command as a person would type it; a user's own ['sh','-c',cmd] shows as cmd. */
export function displayArgv(argv: readonly string[]): string {
  if (argv.length === 3 && argv[0] === 'sh' && argv[1] === '-c') return argv[2]!;
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
