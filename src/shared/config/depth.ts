import { createScanner, SyntaxKind } from 'jsonc-parser';
import { Lexer } from 'yaml';
import { WharfError } from '../../core/errors.js';
import { offsetToPosition, type Position } from './positions.js';
import { formatPath, place, type PathSegment, type SourceDocument } from './source.js';

// Config files are nested a few levels deep; a file nested 100,000 levels deep is an attack on
// the parsers (jsonc-parser and the code that walks the values recurse, and overflow the stack).
// JSON and YAML are measured on their tokens before they are parsed (their parsers recurse on
// flow collections); every reader's value is measured after, without recursion. Either way the error names the file, line, column and the field.

export const MAX_CONFIG_DEPTH = 32;

function tooDeep(file: string, at: Position | null, path: readonly PathSegment[]): WharfError {
  return new WharfError('INVALID_CONFIG', `${place(file, at)} ${formatPath(path)}: nested more than ${MAX_CONFIG_DEPTH} levels deep`, {
    hint: `Wharf reads config nested at most ${MAX_CONFIG_DEPTH} levels (real ones need fewer than 10): flatten ${file} and run \`wharf validate ${file}\` again.`,
  });
}

/** Before parsing JSON/JSONC: the depth of its brackets, scanned iteratively. */
export function assertJsonDepth(file: string, text: string): void {
  const scanner = createScanner(text, false);
  // One frame per open bracket: the key or index it sits under, for the error's field path.
  const path: PathSegment[] = [];
  const frames: Array<{ array: boolean; index: number; key: string | null }> = [];
  let pendingKey: string | null = null;
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    const top = frames[frames.length - 1];
    switch (token) {
      case SyntaxKind.OpenBraceToken:
      case SyntaxKind.OpenBracketToken: {
        if (top) path.push(top.array ? top.index : (pendingKey ?? ''));
        if (frames.length >= MAX_CONFIG_DEPTH) throw tooDeep(file, offsetToPosition(text, scanner.getTokenOffset()), path);
        frames.push({ array: token === SyntaxKind.OpenBracketToken, index: 0, key: null });
        pendingKey = null;
        break;
      }
      case SyntaxKind.CloseBraceToken:
      case SyntaxKind.CloseBracketToken:
        frames.pop();
        if (frames.length > 0) path.pop();
        break;
      case SyntaxKind.CommaToken:
        if (top?.array) top.index += 1;
        break;
      case SyntaxKind.StringLiteral:
        if (top && !top.array) pendingKey = scanner.getTokenValue();
        break;
      default:
        break;
    }
  }
}

/** After parsing any format: the depth of the value, walked without recursion. */
export function assertValueDepth(doc: SourceDocument): void {
  const stack: Array<{ value: unknown; path: PathSegment[] }> = [{ value: doc.value, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object' || value instanceof Date) continue;
    if (path.length >= MAX_CONFIG_DEPTH) throw tooDeep(doc.file, doc.locate(path, 'key'), path);
    const entries: Array<[PathSegment, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [key, child] of entries) stack.push({ value: child, path: [...path, key] });
  }
}

// yaml's lexer marks where a document, a scalar and a flow's end begin with control characters
// that are not in the source text.
const YAML_MARKERS = new Set(['\x02', '\x18', '\x1f', '\u{FEFF}']);

/**
 * Before parsing YAML: flow brackets (`[[[[…`) and compact block collections on one line
 * (`- - - - …`) are what nest deep in few bytes; indentation nests one level per line, and the
 * value check after parsing bounds it.
 */
export function assertYamlDepth(file: string, text: string): void {
  const path: PathSegment[] = [];
  const frames: Array<{ seq: boolean; index: number }> = [];
  let offset = 0;
  let lastScalar: string | null = null;
  let pendingKey: string | null = null;
  let compact = 0; // block indicators ('-', '?') on the current line, outside flows
  for (const token of new Lexer().lex(text)) {
    if (YAML_MARKERS.has(token)) continue;
    const at = offset;
    offset += token.length;
    if (token === '\n' || token.startsWith('\r')) {
      compact = 0;
      continue;
    }
    const top = frames[frames.length - 1];
    if (token === '[' || token === '{') {
      path.push(top ? (top.seq ? top.index : (pendingKey ?? '')) : (pendingKey ?? ''));
      if (frames.length + compact >= MAX_CONFIG_DEPTH) throw tooDeep(file, offsetToPosition(text, at), path);
      frames.push({ seq: token === '[', index: 0 });
      pendingKey = null;
    } else if (token === ']' || token === '}') {
      frames.pop();
      path.pop();
    } else if (token === ',') {
      if (top?.seq) top.index += 1;
    } else if (token === ':') {
      pendingKey = lastScalar;
    } else if ((token === '-' || token === '?') && frames.length === 0) {
      compact += 1;
      if (compact >= MAX_CONFIG_DEPTH) throw tooDeep(file, offsetToPosition(text, at), [...(pendingKey === null ? [] : [pendingKey]), ...Array<number>(compact).fill(0)]);
    } else if (!/^[\s#]/.test(token)) {
      lastScalar = token.replace(/^["']|["']$/g, '');
    }
  }
}
