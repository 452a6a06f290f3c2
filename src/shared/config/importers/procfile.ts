import type { ImportResult, ProjectSpecInput } from '../../../core/project-spec.js';
import { parseProcfile } from '../procfile.js';
import { Warnings, type SourceDocument } from '../source.js';
import { finish, Names, type ImportOptions } from './common.js';

// Procfile → services (REFERENCE.md §6): `web` is the web service, every other process a
// worker named after its process type, `release` the web service's pre-deploy command.

type ServiceInput = NonNullable<ProjectSpecInput['services']>[string];

export function importProcfile(file: string, text: string, _opts: ImportOptions = {}): ImportResult {
  const processes = parseProcfile(text, file);
  const lines = new Map(processes.map((p) => [p.name, p.line]));
  const doc: SourceDocument = {
    file,
    value: Object.fromEntries(processes.map((p) => [p.name, p.command])),
    locate: (path) => {
      const line = lines.get(String(path[0]));
      return line === undefined ? null : { line, column: 1 };
    },
  };
  const warnings = new Warnings(doc);
  const names = new Names(warnings, 'process type');
  const services: Record<string, ServiceInput> = {};
  if (lines.has('web')) names.name('web', ['web']);
  for (const process of processes) {
    if (process.name === 'release') continue;
    const name = names.name(process.name, [process.name]);
    services[name] = { kind: process.name === 'web' ? 'web' : 'worker', startCommand: process.command };
  }
  const release = processes.find((p) => p.name === 'release');
  if (release) {
    const web = services.web;
    if (web) web.preDeployCommand = release.command;
    else warnings.add(['release'], 'there is no web process to run it before; not mapped (set preDeployCommand on a service)');
  }
  if (processes.length === 0) warnings.add([], 'the Procfile has no processes');
  return finish(doc, { services }, warnings);
}
