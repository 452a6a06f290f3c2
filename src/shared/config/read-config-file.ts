import { promises as fs } from 'node:fs';
import path from 'node:path';
import { WharfError } from '../../core/errors.js';
import type { ImportResult } from '../../core/project-spec.js';
import { findProjectFile, IMPORTERS, projectFileKind, type ProjectFileKind } from './project-file.js';

// One config file read offline, by name (what `wharf validate` and `wharf import` do).

export interface ReadConfig extends ImportResult {
  /** As given (or found), relative to the working directory. */
  file: string;
  kind: ProjectFileKind;
}

export async function readConfigFile(file: string | undefined, serviceName: string | undefined, cwd = process.cwd()): Promise<ReadConfig> {
  if (file === undefined) {
    const found = await findProjectFile(cwd);
    if (!found) {
      throw new WharfError('NOT_FOUND', `no project file in ${cwd}`, {
        hint: 'Wharf reads wharf.toml, render.yaml, docker-compose.yml / compose.yaml, a Procfile or railway.toml / railway.json; name one: `wharf validate FILE`.',
      });
    }
    file = found.file;
  }
  const kind = projectFileKind(file);
  if (!kind) {
    throw new WharfError('BAD_REQUEST', `'${file}' is not a config file Wharf knows`, {
      hint: 'Name a wharf.toml, render.yaml, docker-compose.yml / compose.yaml, Procfile or railway.toml / railway.json.',
    });
  }
  let text: string;
  try {
    text = await fs.readFile(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new WharfError('NOT_FOUND', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { hint: 'Check the path and run the command again.' });
  }
  // Messages name the file as the user wrote it, so `file:line:col` opens in an editor.
  const result = IMPORTERS[kind](file, text, serviceName ? { serviceName } : {});
  return { ...result, file, kind };
}

