// Just enough of a Dockerfile to plan its build: the ARG names it declares (only those of the
// service's variables are passed as build args), its stage names (a `--target` must name one)
// and a `# syntax=` directive (which would make the engine fetch a frontend from a registry).
// The engine parses the file for real; this never decides what the build does.

export interface DockerfileArg {
  name: string;
  /** The default after `=`, as written (unquoted), if any. */
  default?: string;
  /** The stage it is declared in (0-based), or null before the first FROM (a global ARG). */
  stage: number | null;
}

export interface DockerfileStage {
  index: number;
  /** `FROM image AS name`'s name, lower-cased as the engine compares it, or null. */
  name: string | null;
  /** The image or earlier stage it starts from, as written. */
  from: string;
  line: number;
}

export interface DockerfileInfo {
  args: DockerfileArg[];
  stages: DockerfileStage[];
  /** The `# syntax=` parser directive, if any. */
  syntax: string | null;
}

interface Instruction {
  keyword: string;
  rest: string;
  line: number;
}

export function parseDockerfile(text: string): DockerfileInfo {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const { syntax, escape } = directives(lines);
  const args: DockerfileArg[] = [];
  const stages: DockerfileStage[] = [];
  for (const ins of instructions(lines, escape)) {
    if (ins.keyword === 'FROM') {
      const words = ins.rest.split(/\s+/).filter((w) => w !== '' && !w.startsWith('--'));
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ index: stages.length, name: as > 0 && words[as + 1] ? words[as + 1]!.toLowerCase() : null, from: words[0] ?? '', line: ins.line });
    } else if (ins.keyword === 'ARG') {
      const stage = stages.length === 0 ? null : stages.length - 1;
      for (const word of splitWords(ins.rest)) {
        const eq = word.indexOf('=');
        const name = eq === -1 ? word : word.slice(0, eq);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
        args.push(eq === -1 ? { name, stage } : { name, default: unquote(word.slice(eq + 1)), stage });
      }
    }
  }
  return { args, stages, syntax };
}

/** The distinct ARG names, in the order first declared. */
export function declaredArgNames(info: DockerfileInfo): string[] {
  return [...new Set(info.args.map((a) => a.name))];
}

/** Parser directives: `# key=value` lines at the very top, before anything else. */
function directives(lines: readonly string[]): { syntax: string | null; escape: string } {
  let syntax: string | null = null;
  let escape = '\\';
  for (const line of lines) {
    const m = /^\s*#\s*([A-Za-z]+)\s*=\s*(\S+)\s*$/.exec(line);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (key === 'syntax') syntax = m[2]!;
    else if (key === 'escape' && (m[2] === '`' || m[2] === '\\')) escape = m[2]!;
    else if (key !== 'check') break;
  }
  return { syntax, escape };
}

/** Instructions with their continuation lines joined; comment lines inside them dropped. */
function* instructions(lines: readonly string[], escape: string): Generator<Instruction> {
  let current: Instruction | null = null;
  for (const [i, raw] of lines.entries()) {
    const trimmed = raw.trim();
    if (current === null) {
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      const m = /^(\S+)\s*(.*)$/.exec(trimmed)!;
      current = { keyword: m[1]!.toUpperCase(), rest: '', line: i + 1 };
      if (!continues(m[2]!, escape)) {
        current.rest = m[2]!;
        yield current;
        current = null;
      } else current.rest = m[2]!.slice(0, -1);
      continue;
    }
    if (trimmed.startsWith('#')) continue;
    if (continues(trimmed, escape)) current.rest += ' ' + trimmed.slice(0, -1);
    else {
      current.rest += ' ' + trimmed;
      yield current;
      current = null;
    }
  }
  if (current) yield current;
}

function continues(text: string, escape: string): boolean {
  return text.endsWith(escape);
}

/** Words of an ARG line; `A="x y"` stays one word. */
function splitWords(text: string): string[] {
  return [...text.matchAll(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g)].map((m) => m[0]);
}

function unquote(value: string): string {
  return value.replace(/^"(.*)"$/s, '$1').replace(/^'(.*)'$/s, '$1');
}
