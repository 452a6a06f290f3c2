import { randomInt } from 'node:crypto';
import { WharfError } from '../../core/errors.js';

// Generated values and Railway's template functions, `${{ secret(length?, "alphabet"?) }}` and
// `${{ randomInt(min?, max?) }}`, evaluated once when a template or import is applied (the
// result is stored; later deploys keep it). crypto.randomInt draws without modulo bias.

export const DEFAULT_SECRET_LENGTH = 32;
export const DEFAULT_SECRET_ALPHABET = 'a-zA-Z0-9';
const MAX_SECRET_LENGTH = 4096;
const MAX_ALPHABET = 10_000;
const FUNCTIONS_HINT = 'Template functions: ${{ secret(length?, "alphabet"?) }} (default 32, "a-zA-Z0-9") and ${{ randomInt(min?, max?) }} (default 0, 100; both ends included).';

/** A random string of `length` characters drawn uniformly from `alphabet` (ranges like `a-z` allowed). */
export function generateSecret(length: number = DEFAULT_SECRET_LENGTH, alphabet: string = DEFAULT_SECRET_ALPHABET): string {
  if (!Number.isInteger(length) || length < 1 || length > MAX_SECRET_LENGTH) {
    throw new WharfError('BAD_REQUEST', `A secret's length must be a whole number from 1 to ${MAX_SECRET_LENGTH}, not ${length}`, { hint: FUNCTIONS_HINT });
  }
  const chars = expandAlphabet(alphabet);
  let out = '';
  for (let i = 0; i < length; i++) out += chars[randomInt(chars.length)];
  return out;
}

/** The characters of an alphabet: `a-zA-Z0-9_` → a…z A…Z 0…9 _; a `-` first or last is literal. */
export function expandAlphabet(alphabet: string): string[] {
  const points = Array.from(alphabet);
  const chars = new Set<string>();
  for (let i = 0; i < points.length; i++) {
    const from = points[i]!;
    const to = points[i + 2];
    if (points[i + 1] === '-' && to !== undefined) {
      const [a, b] = [from.codePointAt(0)!, to.codePointAt(0)!];
      if (a > b || b - a > MAX_ALPHABET) {
        throw new WharfError('BAD_REQUEST', `The alphabet range '${from}-${to}' is not valid`, { hint: 'Write ranges low to high, e.g. "a-zA-Z0-9".' });
      }
      for (let c = a; c <= b; c++) chars.add(String.fromCodePoint(c));
      i += 2;
    } else {
      chars.add(from);
    }
  }
  if (chars.size === 0 || chars.size > MAX_ALPHABET) {
    throw new WharfError('BAD_REQUEST', `An alphabet must hold 1 to ${MAX_ALPHABET} characters, not ${chars.size}`, { hint: FUNCTIONS_HINT });
  }
  return [...chars];
}

/** A random whole number from min to max, both included. */
export function generateInt(min = 0, max = 100): number {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max || max - min >= 2 ** 48 - 1) {
    throw new WharfError('BAD_REQUEST', `randomInt(${min}, ${max}) is not a valid range`, { hint: 'Use whole numbers with min ≤ max, less than 2^48 apart.' });
  }
  return randomInt(min, max + 1);
}

type Arg = string | number;

/** Replaces every `${{ secret(…) }}` and `${{ randomInt(…) }}` with a fresh value; references are left alone. */
export function expandTemplateFunctions(value: string): string {
  let out = '';
  let copied = 0;
  let at = value.indexOf('${{');
  while (at >= 0) {
    const call = parseCall(value, at);
    if (call) {
      out += value.slice(copied, at) + evaluate(call.name, call.args, value.slice(at, call.end));
      copied = call.end;
    }
    at = value.indexOf('${{', call ? call.end : at + 3);
  }
  return out + value.slice(copied);
}

function evaluate(name: string, args: Arg[], text: string): string {
  const fail = (why: string) => new WharfError('BAD_REQUEST', `${text}: ${why}`, { hint: FUNCTIONS_HINT });
  const types = name === 'secret' ? ['number', 'string'] : name === 'randomInt' ? ['number', 'number'] : null;
  if (!types) throw fail(`there is no template function '${name}'`);
  if (args.length > types.length) throw fail(`${name} takes at most ${types.length} arguments`);
  args.forEach((arg, i) => {
    if (typeof arg !== types[i]) throw fail(`argument ${i + 1} of ${name} must be a ${types[i]}`);
  });
  try {
    return name === 'secret' ? generateSecret(args[0] as number | undefined, args[1] as string | undefined) : String(generateInt(args[0] as number | undefined, args[1] as number | undefined));
  } catch (err) {
    throw err instanceof WharfError ? fail(err.message) : err;
  }
}

const CALL_START = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(/y;

/** Parses `${{ name(arg, …) }}` at `at`; null when the text there is not a call (e.g. a reference). */
function parseCall(text: string, at: number): { name: string; args: Arg[]; end: number } | null {
  CALL_START.lastIndex = at;
  const start = CALL_START.exec(text);
  if (!start) return null;
  let i = CALL_START.lastIndex;
  const bad = (why: string) => new WharfError('BAD_REQUEST', `${text.slice(at, Math.min(text.length, i + 1))}: ${why}`, { hint: FUNCTIONS_HINT });
  const skip = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const args: Arg[] = [];
  skip();
  if (text[i] === ')') i++;
  else {
    for (;;) {
      skip();
      const number = /-?\d+/y;
      number.lastIndex = i;
      const quote = text[i];
      if (quote === '"' || quote === "'") {
        let s = '';
        for (i++; i < text.length && text[i] !== quote; i++) s += text[i] === '\\' && i + 1 < text.length ? text[++i] : text[i];
        if (i >= text.length) throw bad('the string is not closed');
        i++;
        args.push(s);
      } else if (number.exec(text)) {
        args.push(Number(text.slice(i, number.lastIndex)));
        i = number.lastIndex;
      } else throw bad('expected a number or a quoted string');
      skip();
      if (text[i] === ',') i++;
      else if (text[i] === ')') {
        i++;
        break;
      } else throw bad("expected ',' or ')'");
    }
  }
  const close = /\s*\}\}/y;
  close.lastIndex = i;
  if (!close.exec(text)) throw bad("expected '}}' after the call");
  return { name: start[1]!, args, end: close.lastIndex };
}
