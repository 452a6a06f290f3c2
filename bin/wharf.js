#!/usr/bin/env node
// The `wharf` CLI entry: runs the compiled CLI (`npm ci` builds it; `npm run build` rebuilds).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(compiled)) {
  console.error('error: Wharf is not built yet');
  console.error(`hint: run \`npm run build\` in ${new URL('..', import.meta.url).pathname}`);
  process.exit(1);
}
await import(compiled.href);
