import { WharfError } from '../core/errors.js';
import { setOwn } from './record.js';

// `.env` files for `wharf variables import` / `export`. Read: KEY=VALUE lines, an optional
// `export ` prefix, `#` comments (in an unquoted value a `#` starts one only at the start or
// after whitespace, so `https://x/#/a` and `pa#ss` stay whole), empty values, single quotes and backticks
// (literal), double quotes (\n \r \t \" \\ escapes; may span lines). Nothing is expanded:
// `$HOME` and `${{ api.URL }}` are kept as written. A repeated key: the last one wins.

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LINE_START = /[ \t]*(?:export[ \t]+)?([^=\n]*?)[ \t]*=[ \t]*/y;
const SAFE_UNQUOTED = /^[A-Za-z0-9_./:@%+,=~-]+$/;

export function parseDotenv(text: string, file = '.env'): Record<string, string> {
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const values: Record<string, string> = {};
  const fail = (at: number, why: string) =>
    new WharfError('BAD_REQUEST', `${file}:${lineOf(src, at)}: ${why}`, { hint: `Fix ${file}: one KEY=VALUE per line; quote values with spaces, quotes or newlines.` });
  let i = 0;
  while (i < src.length) {
    const eol = indexOrEnd(src, '\n', i);
    const line = src.slice(i, eol);
    if (/^\s*(#.*)?$/.test(line)) {
      i = eol + 1;
      continue;
    }
    LINE_START.lastIndex = i;
    const start = LINE_START.exec(src);
    if (!start) throw fail(i, `expected KEY=VALUE, found '${line.trim().slice(0, 40)}'`);
    const key = start[1]!;
    if (!KEY.test(key)) throw fail(i, `'${key}' is not a valid variable name (letters, digits and underscores, not starting with a digit)`);
    const { value, end } = readValue(src, LINE_START.lastIndex, fail);
    setOwn(values, key, value);
    i = end + 1;
  }
  return values;
}

type Fail = (at: number, why: string) => WharfError;

/** Reads a value starting at `at`; `end` is the index of the newline ending its (last) line. */
function readValue(src: string, at: number, fail: Fail): { value: string; end: number } {
  const quote = src[at];
  if (quote !== '"' && quote !== "'" && quote !== '`') {
    const end = indexOrEnd(src, '\n', at);
    const raw = src.slice(at, end);
    const comment = raw.search(/(^|[ \t])#/);
    return { value: (comment >= 0 ? raw.slice(0, comment) : raw).trimEnd(), end };
  }
  let value = '';
  let i = at + 1;
  for (; i < src.length && src[i] !== quote; i++) {
    if (quote === '"' && src[i] === '\\' && i + 1 < src.length) {
      const next = src[++i]!;
      value += ({ n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' } as Record<string, string>)[next] ?? `\\${next}`;
    } else value += src[i];
  }
  if (i >= src.length) throw fail(at, `the value opened with ${quote} is never closed`);
  const end = indexOrEnd(src, '\n', i);
  if (!/^[ \t]*(#.*)?$/.test(src.slice(i + 1, end))) throw fail(i, `unexpected text after the closing ${quote}`);
  return { value, end };
}

/** `.env` text for the values, quoted where needed; parseDotenv reads back exactly the same values. */
export function formatDotenv(values: Record<string, string>): string {
  let out = '';
  for (const [key, value] of Object.entries(values)) {
    if (!KEY.test(key)) throw new WharfError('BAD_REQUEST', `'${key}' is not a valid variable name`, { hint: 'Use letters, digits and underscores, not starting with a digit.' });
    out += `${key}=${quote(value)}\n`;
  }
  return out;
}

function quote(value: string): string {
  if (value === '' || SAFE_UNQUOTED.test(value)) return value;
  // Single quotes are literal in every dotenv reader (no `$` expansion), so prefer them.
  if (!/['\n\r]/.test(value)) return `'${value}'`;
  return `"${value.replace(/[\\"\n\r]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r' })[c]!)}"`;
}

function indexOrEnd(text: string, what: string, from: number): number {
  const at = text.indexOf(what, from);
  return at < 0 ? text.length : at;
}

function lineOf(text: string, at: number): number {
  let line = 1;
  for (let i = 0; i < at && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}
