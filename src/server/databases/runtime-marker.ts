import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RuntimeName } from '../../core/artifact.js';

// A database stays on the runtime it was created on (its data is a folder or a volume), so the
// runtime is written once into its data folder on the host, beside the files host-side tools
// use, and read back with the spec. (A column of the database record would say the same; this
// keeps the change inside the database code until the store has one.)

const FILE = '.wharf-runtime';

export function readRuntime(dataDir: string): RuntimeName {
  try {
    return readFileSync(path.join(dataDir, FILE), 'utf8').trim() === 'docker' ? 'docker' : 'process';
  } catch {
    return 'process';
  }
}

export function writeRuntime(dataDir: string, runtime: RuntimeName): void {
  writeFileSync(path.join(dataDir, FILE), `${runtime}\n`, { mode: 0o600 });
}
