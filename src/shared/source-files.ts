import { isSourceFile, readSourceText } from './read-in-source.js';

// Builders only plan from what they see in the source: these read it, nothing else, and never
// follow a link out of it.

export async function isFile(root: string, rel: string): Promise<boolean> {
  return isSourceFile(root, rel);
}

export async function readText(root: string, rel: string): Promise<string | null> {
  return readSourceText(root, rel);
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
