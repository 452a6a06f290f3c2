import { readFileSync } from 'node:fs';
import path from 'node:path';

// docs/cli.md's "Coming from Railway" table, read by the tests that keep it true: one checks
// every Wharf command in it against the CLI's command tree, one runs every row on a real server.

export interface RailwayRow {
  railway: string;
  wharf: string;
  /** The Wharf command as argv (after `wharf`), with `< FILE` / `> FILE` taken out. */
  argv: string[];
  stdinFile?: string;
  stdoutFile?: string;
}

const HEADING = '## Coming from Railway';

export function readRailwayTable(repo: string): RailwayRow[] {
  const text = readFileSync(path.join(repo, 'docs/cli.md'), 'utf8');
  const start = text.indexOf(HEADING);
  if (start < 0) throw new Error(`docs/cli.md has no "${HEADING}" section`);
  const section = text.slice(start + HEADING.length).split(/\n## /)[0]!;
  const rows: RailwayRow[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (cells.length < 2 || !cells[0]!.startsWith('`railway')) continue;
    const wharf = /^`(wharf [^`]*)`$/.exec(cells[1]!.replace(/\\\|/g, '|'));
    if (!wharf) throw new Error(`docs/cli.md: the Wharf cell of "${cells[0]}" is not one \`wharf …\` command: ${cells[1]}`);
    rows.push({ railway: cells[0]!.replace(/`/g, ''), wharf: wharf[1]!, ...split(wharf[1]!) });
  }
  return rows;
}

/** Words of a command line as a shell would split them (quotes, no expansion), and its redirects. */
function split(command: string): Pick<RailwayRow, 'argv' | 'stdinFile' | 'stdoutFile'> {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of command.matchAll(re)) words.push(m[1] ?? m[2] ?? m[3]!);
  const result: Pick<RailwayRow, 'argv' | 'stdinFile' | 'stdoutFile'> = { argv: [] };
  for (let i = 1; i < words.length; i++) {
    if (words[i] === '<') result.stdinFile = words[++i];
    else if (words[i] === '>') result.stdoutFile = words[++i];
    else result.argv.push(words[i]!);
  }
  return result;
}
