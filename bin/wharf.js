#!/usr/bin/env node
// The `wharf` CLI entry: runs the compiled CLI (build it with `npm run build`).
import '../dist/cli/main.js';
