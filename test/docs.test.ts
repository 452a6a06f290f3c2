import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from './helpers/wharf.js';

// The docs tell the truth where a test can tell: every WHARF_* environment variable that src/
// reads or sets is documented (the settings table in docs/configuration.md, "Server environment",
// "CLI environment", "Set by Wharf", or a page it links to), and every .md file that is cited exists.

function files(dir: string, keep: (f: string) => boolean): string[] {
  return readdirSync(path.join(REPO, dir), { recursive: true })
    .map(String)
    .filter(keep)
    .map((f) => path.join(REPO, dir, f));
}

/** WHARF_* names src/ uses as environment variables (not TypeScript constants named WHARF_*). */
function namesUsedInSrc(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of files('src', (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const text = readFileSync(file, 'utf8');
    const constants = new Set([...text.matchAll(/\b(?:const|let|var|function|class|type|interface)\s+(WHARF_[A-Z0-9_]+)\b/g)].map((m) => m[1]!));
    for (const m of text.matchAll(/\bWHARF_[A-Z0-9_]*[A-Z0-9]\b/g)) {
      const name = m[0];
      if (constants.has(name) || isImportedConstant(text, name)) continue;
      if (!found.has(name)) found.set(name, path.relative(REPO, file));
    }
  }
  return found;
}

function isImportedConstant(text: string, name: string): boolean {
  return new RegExp(`import\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`).test(text);
}

test('every WHARF_* variable used in src/ is documented', () => {
  const used = namesUsedInSrc();
  assert.ok(used.has('WHARF_HOME') && used.has('WHARF_POSTGRES_BIN'), `the scan finds variables: ${[...used.keys()].join(', ')}`);
  const docs = [path.join(REPO, 'README.md'), ...files('docs', (f) => f.endsWith('.md'))].map((f) => readFileSync(f, 'utf8')).join('\n');
  const missing = [...used].filter(([name]) => !new RegExp(`\\b${name}\\b`).test(docs)).map(([name, file]) => `${name} (${file})`);
  assert.deepEqual(missing, [], 'document these in docs/configuration.md');
});

// Cited by source comments but not in this repository: the Railway/Render compatibility
// reference the config readers were written against. Listed so that no other citation can
// point nowhere unnoticed; it goes once the reference is in docs/ (or the comments stop citing it).
const NOT_IN_REPO = new Set(['REFERENCE.md']);

test('every .md file that the code, the tests and the docs cite exists', () => {
  const citing = [
    path.join(REPO, 'README.md'),
    path.join(REPO, 'AGENTS.md'),
    ...files('docs', (f) => f.endsWith('.md')),
    ...files('src', (f) => f.endsWith('.ts')),
    ...files('test', (f) => f.endsWith('.ts')),
    ...files('bench', (f) => f.endsWith('.ts') || f.endsWith('.md')),
  ];
  const missing: string[] = [];
  for (const file of citing) {
    for (const m of readFileSync(file, 'utf8').matchAll(/(?<![\w./-])([\w./-]*[\w-]\.md)\b/g)) {
      const cited = m[1]!;
      const candidates = [path.resolve(path.dirname(file), cited), path.join(REPO, cited), path.join(REPO, 'docs', cited)];
      if (NOT_IN_REPO.has(cited) && !file.endsWith('.md')) continue;
      if (!candidates.some((c) => existsSync(c))) missing.push(`${path.relative(REPO, file)} cites ${cited}`);
    }
  }
  assert.deepEqual([...new Set(missing)], []);
});
