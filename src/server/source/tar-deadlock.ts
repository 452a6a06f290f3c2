import path from 'node:path';

// node-tar (7.5) extracts entries in parallel and guards each one by reserving its path, its
// link target and their parent folders. When a link's target, taken as written from the root,
// is one of the parent folders of the link itself or the other way round (`a/b/up -> a`,
// `a -> a/b`), the entry waits for itself and extraction never finishes: the upload hung
// forever (found by test/fuzz/tarball-checker.test.ts). Such a link points at a path it lives
// inside (`a/b/up -> a` is a/b/a), so it is refused before extraction.
//
// Mirrors node-tar's PathReservations: paths joined, Unicode-normalised and case-folded
// (normalize-unicode.js), trailing slashes stripped; folders are every proper prefix.

function reserved(p: string): string {
  return path.posix.join(p.normalize('NFD').toLocaleLowerCase('en').toLocaleUpperCase('en')).replace(/\/+$/, '');
}

function parents(p: string): string[] {
  const parts = p.split('/').slice(0, -1);
  return parts.map((_, i) => parts.slice(0, i + 1).join('/') || '/');
}

/** Whether node-tar's extraction would wait forever on an entry with this path and link target. */
export function deadlocksExtraction(entryPath: string, linkpath: string): boolean {
  const paths = [reserved(entryPath), reserved(linkpath)];
  const dirs = new Set(paths.flatMap(parents));
  return paths.some((p) => dirs.has(p));
}
