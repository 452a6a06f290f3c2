import { findNodeAtLocation, type Node } from 'jsonc-parser';

// Where a field sits in a config file, so errors can say `railway.json:4:5`.

export interface Position {
  line: number;
  column: number;
}

export function offsetToPosition(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The key of the property at `path` in a JSON tree, or its nearest existing parent. */
export function jsonPosition(text: string, tree: Node | undefined, path: readonly (string | number)[]): Position | null {
  if (!tree) return null;
  for (let depth = path.length; depth >= 0; depth--) {
    const node = findNodeAtLocation(tree, path.slice(0, depth) as (string | number)[]);
    if (!node) continue;
    const key = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    return offsetToPosition(text, (key ?? node).offset);
  }
  return null;
}

// TOML: scan the lines, tracking the current [table], and find the line that defines
// `path` (or the deepest prefix of it). Good enough for config files people write.

export function tomlPosition(text: string, path: readonly (string | number)[]): Position | null {
  const target = path.map(String);
  const lines = text.split('\n');
  let table: string[] = [];
  let best: { depth: number; position: Position } | null = null;
  let inMultiline: string | null = null;
  lines.forEach((raw, index) => {
    if (inMultiline) {
      if (raw.includes(inMultiline)) inMultiline = null;
      return;
    }
    const line = raw.replace(/^\s+/, '');
    const indent = raw.length - line.length;
    if (line === '' || line.startsWith('#')) return;
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?/.exec(line);
    let keyPath: string[] | null;
    let column = indent + 1;
    if (header) {
      table = splitKey(header[1]!);
      keyPath = table;
      column = indent + line.indexOf(header[1]!) + 1;
    } else {
      const eq = findEquals(line);
      if (eq === -1) return;
      keyPath = [...table, ...splitKey(line.slice(0, eq))];
      const rest = line.slice(eq + 1);
      const triple = /^\s*("""|''')/.exec(rest);
      if (triple && rest.indexOf(triple[1]!, rest.indexOf(triple[1]!) + 3) === -1) inMultiline = triple[1]!;
    }
    let depth = commonPrefix(keyPath, target);
    // A different field, unless a [table] header inside the target (`[deploy.multiRegionConfig."us-west2"]` for deploy.multiRegionConfig).
    if (depth < keyPath.length && !(header && depth === target.length)) return;
    // An inline table (`deploy = { healthcheckPath = 1 }`): look for the next key in the line.
    let position: Position = { line: index + 1, column };
    while (depth < target.length) {
      const at = raw.indexOf(target[depth]!, position.column - 1);
      if (at === -1) break;
      position = { line: index + 1, column: at + 1 };
      depth++;
    }
    if (!best || depth > best.depth) best = { depth, position };
  });
  return best ? (best as { position: Position }).position : null;
}

function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function findEquals(line: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '=') return i;
  }
  return -1;
}

/** `a."b.c".d` → ['a', 'b.c', 'd']. */
export function splitKey(key: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const c of key.trim()) {
    if (quote) {
      if (c === quote) quote = null;
      else current += c;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '.') {
      parts.push(current.trim());
      current = '';
    } else current += c;
  }
  parts.push(current.trim());
  return parts;
}
