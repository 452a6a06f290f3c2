import { WharfError } from '../../core/errors.js';
import { readText } from '../source-files.js';

// Heroku's Procfile, with Dokku's grammar: `name: command` per line, `#` or `//`
// comments, blank lines; an invalid line rejects the whole file (REFERENCE.md §6).

export interface ProcfileProcess {
  name: string;
  command: string;
  line: number;
}

const NAME = /^[A-Za-z0-9_-]+$/;

export function parseProcfile(text: string, file = 'Procfile'): ProcfileProcess[] {
  const processes: ProcfileProcess[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('//')) return;
    const colon = line.indexOf(':');
    const fail = (what: string): never => {
      throw new WharfError('INVALID_CONFIG', `${file}:${lineNo}: ${what}`, {
        hint: 'Each Procfile line is `<process type>: <command>`, e.g. `web: node server.js`.',
      });
    };
    if (colon === -1) fail(`expected '<name>: <command>', got '${line}'`);
    const name = line.slice(0, colon).trim();
    const command = line.slice(colon + 1).trim();
    if (!NAME.test(name)) fail(`process type '${name}' may only hold letters, digits, '_' and '-'`);
    if (name.length > 63) fail(`process type '${name}' is longer than 63 characters`);
    if (command === '') fail(`process type '${name}' has no command`);
    const first = seen.get(name);
    if (first !== undefined) fail(`process type '${name}' is already defined on line ${first}`);
    seen.set(name, lineNo);
    processes.push({ name, command, line: lineNo });
  });
  return processes;
}

/** The Procfile's processes, or null when the source has none. */
export async function readProcfile(root: string): Promise<ProcfileProcess[] | null> {
  const text = await readText(root, 'Procfile');
  return text === null ? null : parseProcfile(text);
}

/** The process that runs the service: `web`, else the first one other than `release`. */
export function mainProcess(processes: readonly ProcfileProcess[]): { process: ProcfileProcess; kind: 'web' | 'worker' } | null {
  const web = processes.find((p) => p.name === 'web');
  if (web) return { process: web, kind: 'web' };
  const other = processes.find((p) => p.name !== 'release');
  return other ? { process: other, kind: 'worker' } : null;
}

/** The `release` process: the command to run before a release goes live. */
export function releaseProcess(processes: readonly ProcfileProcess[]): ProcfileProcess | null {
  return processes.find((p) => p.name === 'release') ?? null;
}
