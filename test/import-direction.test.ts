import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// Imports flow one way: core ← shared ← server / supervisor / cli; the router and the static
// server stand on core alone (they keep serving while the control plane restarts, and a change
// in the control plane must never reach them). A layer may import itself and what it stands on.
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: ['core'],
  shared: ['core', 'shared'],
  server: ['core', 'shared', 'server', 'supervisor', 'router'],
  supervisor: ['core', 'shared', 'supervisor'],
  cli: ['core', 'shared', 'cli'],
  router: ['core', 'router'],
  'static-server': ['core', 'static-server'],
};

// The one crossing allowed, with its reason.
const EXCEPTIONS: Record<string, string> = {
  'cli/commands/server.ts -> server/main.ts': '`wharf server` runs the control plane in the CLI process itself',
};

const SRC = path.resolve('src');
const IMPORT = /(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.test.ts') && !name.endsWith('.contract.ts') ? [full] : [];
  });
}

function layerOf(file: string): string | null {
  const rel = path.relative(SRC, file);
  return rel.startsWith('..') ? null : rel.split(path.sep)[0]!;
}

export function offences(files: Array<{ file: string; text: string }>): string[] {
  const found: string[] = [];
  for (const { file, text } of files) {
    const from = layerOf(file);
    if (!from) continue;
    const allowed = MAY_IMPORT[from];
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2]!;
      const target = path.resolve(path.dirname(file), spec);
      const to = layerOf(target);
      if (`${path.relative(SRC, file)} -> ${path.relative(SRC, target).replace(/\.js$/, '.ts')}` in EXCEPTIONS) continue;
      if (to === null) found.push(`${path.relative(SRC, file)} imports ${spec}, outside src/`);
      else if (!allowed?.includes(to)) found.push(`${path.relative(SRC, file)} (${from}) imports ${spec} (${to})`);
    }
  }
  return found;
}

test('every layer imports only the layers it stands on', () => {
  assert.ok(Object.keys(MAY_IMPORT).every((layer) => statSync(path.join(SRC, layer)).isDirectory()));
  const layers = readdirSync(SRC).filter((name) => statSync(path.join(SRC, name)).isDirectory());
  assert.deepEqual(layers.filter((l) => !(l in MAY_IMPORT)), [], 'a new top-level folder needs its place in MAY_IMPORT');
  const files = sourceFiles(SRC).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  assert.deepEqual(offences(files), []);
});

test('the scan itself catches an import against the flow', () => {
  const found = offences([
    { file: path.join(SRC, 'core/x.ts'), text: "import { a } from '../server/a.js';" },
    { file: path.join(SRC, 'router/y.ts'), text: "import type { B } from '../shared/b.js';\nconst c = await import('../server/c.js');" },
    { file: path.join(SRC, 'shared/z.ts'), text: "export { d } from '../core/d.js';" },
  ]);
  assert.equal(found.length, 3, found.join('\n'));
});
