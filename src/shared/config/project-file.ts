import path from 'node:path';
import { WharfError } from '../../core/errors.js';
import type { ImportResult } from '../../core/project-spec.js';
import { parseProcfile } from './procfile.js';
import { readSourceText } from '../read-in-source.js';
import type { Importer, ImportOptions } from './importers/common.js';
import { importCompose } from './importers/compose.js';
import { importProcfile } from './importers/procfile.js';
import { importRailway } from './importers/railway.js';
import { importRender } from './importers/render.js';
import { parseWharfToml } from './wharf-toml.js';

// Which file describes a project, and reading it into a ProjectSpec. wharf.toml wins; then
// the richest foreign format: render.yaml, a Compose file, a Procfile with more than a web
// process, railway.toml/json (one service).

export type ProjectFileKind = 'wharf' | 'render' | 'compose' | 'procfile' | 'railway';

export interface ProjectFile {
  kind: ProjectFileKind;
  file: string;
}

const CANDIDATES: readonly ProjectFile[] = [
  { kind: 'wharf', file: 'wharf.toml' },
  { kind: 'render', file: 'render.yaml' },
  { kind: 'compose', file: 'docker-compose.yml' },
  { kind: 'compose', file: 'compose.yaml' },
  { kind: 'compose', file: 'docker-compose.yaml' },
  { kind: 'compose', file: 'compose.yml' },
  { kind: 'procfile', file: 'Procfile' },
  { kind: 'railway', file: 'railway.toml' },
  { kind: 'railway', file: 'railway.json' },
];

export const IMPORTERS: Record<ProjectFileKind, Importer> = {
  wharf: (file, text) => parseWharfToml(file, text),
  render: importRender,
  compose: importCompose,
  procfile: importProcfile,
  railway: importRailway,
};

/** The kind of a file by its name (for `wharf validate FILE` / `wharf import FILE`). */
export function projectFileKind(file: string): ProjectFileKind | null {
  const base = path.basename(file);
  const known = CANDIDATES.find((c) => c.file === base);
  if (known) return known.kind;
  if (/\.toml$/.test(base)) return /railway/i.test(base) ? 'railway' : 'wharf';
  if (/^railway.*\.json$/i.test(base)) return 'railway';
  if (/compose.*\.ya?ml$/i.test(base)) return 'compose';
  if (/render.*\.ya?ml$/i.test(base)) return 'render';
  if (/^Procfile/.test(base)) return 'procfile';
  return null;
}

export async function findProjectFile(dir: string): Promise<ProjectFile | null> {
  for (const candidate of CANDIDATES) {
    const text = await readIfFile(dir, candidate.file);
    if (text === null) continue;
    if (candidate.kind === 'procfile' && !procfileDescribesProject(text)) continue;
    return candidate;
  }
  return null;
}

/** Reads the project file of `dir` into a ProjectSpec; null when there is none. */
export async function readProjectFile(dir: string, opts: ImportOptions & { serviceName?: string } = {}): Promise<(ImportResult & ProjectFile) | null> {
  const found = await findProjectFile(dir);
  if (!found) return null;
  const text = (await readSourceText(dir, found.file)) ?? '';
  return { ...found, ...IMPORTERS[found.kind](found.file, text, opts) };
}

// A Procfile with only `web` is just a start command (the Procfile builder reads it); it
// describes a project once it has other processes or a release. An invalid one counts, so
// its error is shown rather than skipped.
function procfileDescribesProject(text: string): boolean {
  try {
    return parseProcfile(text).some((p) => p.name !== 'web');
  } catch {
    return true;
  }
}

/** A project file's text; null when absent or not a file. A link out of `dir` is an error, not absent. */
async function readIfFile(dir: string, rel: string): Promise<string | null> {
  try {
    return await readSourceText(dir, rel);
  } catch (err) {
    if (err instanceof WharfError) throw err;
    return null;
  }
}
