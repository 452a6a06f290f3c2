// Where a path leads inside an archive's tree once every symlink on the way is followed, as the
// kernel would after extraction. A link is judged by where it ends up, not by its text:
// `up -> ../../../../..` is the root itself, so `esc -> deep/a/b/c/d/up/../../../../../..` climbs
// six levels above it even though it reads as a path inside.

/** Linux gives up after 40 links in one lookup (ELOOP). */
const MAX_HOPS = 40;

export type Resolved = { inside: string } | { outside: true } | { loop: true };

/** `links` maps each symlink's normalised path to its target, as written. */
export function resolveInTree(links: ReadonlyMap<string, string>, start: string): Resolved {
  let pending = start.split('/');
  const at: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const segment = pending.shift()!;
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (at.length === 0) return { outside: true };
      at.pop();
      continue;
    }
    at.push(segment);
    const target = links.get(at.join('/'));
    if (target === undefined) continue;
    if (++hops > MAX_HOPS) return { loop: true };
    at.pop();
    if (target.startsWith('/')) return { outside: true };
    pending = [...target.split('/'), ...pending];
  }
  return { inside: at.join('/') };
}
