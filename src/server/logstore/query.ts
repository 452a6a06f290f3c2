import { WharfError } from '../../core/errors.js';
import type { LogLevel } from './parse.js';

// The log query language (`wharf logs --filter`, `?filter=` in the API):
//
//   payment failed          words: lines containing both (full-text, case-insensitive)
//   "card declined"         a phrase;  pay*  a prefix
//   level:error             the line's level (trace debug info warn error fatal); level:warn,error
//   stream:err              stdout/stderr/Wharf's own lines (out, err, sys)
//   @user_id:42             a field of a JSON line (@a.b:x for nested; quotes for spaces);
//   @status:>=500           numeric comparisons (> >= < <=)
//   -timeout  NOT timeout   exclude
//   a OR b, a AND b, ( )    AND is implicit and binds tighter than OR
//
// parseLogQuery turns it into a tree, compileLogQuery into SQLite (FTS5 where it can).

export type QueryNode =
  | { kind: 'text'; value: string; phrase: boolean; prefix: boolean }
  | { kind: 'level'; levels: LogLevel[] }
  | { kind: 'stream'; streams: Array<'out' | 'err' | 'sys'> }
  | { kind: 'field'; path: string[]; op: '=' | '>' | '>=' | '<' | '<='; value: string }
  | { kind: 'not'; node: QueryNode }
  | { kind: 'and'; nodes: QueryNode[] }
  | { kind: 'or'; nodes: QueryNode[] };

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const LEVEL_ALIASES: Record<string, LogLevel> = { warning: 'warn', err: 'error', critical: 'fatal' };

interface Token {
  type: 'word' | 'phrase' | 'lparen' | 'rparen' | 'minus' | 'and' | 'or' | 'not';
  text: string;
  /** 1-based column of the token's first character. */
  pos: number;
  /** For words: a quoted part after `key:` (`@msg:"a b"`). */
  quotedValue?: boolean;
}

function bad(message: string, pos: number, query: string): WharfError {
  return new WharfError('BAD_REQUEST', `filter: ${message} at position ${pos}`, {
    hint: `In '${query}'. Examples: level:error payment, "card declined" -health, @user_id:42 OR @status:>=500.`,
  });
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = query.length;
  const readQuoted = (start: number): { text: string; end: number } => {
    let text = '';
    let j = start + 1;
    for (;;) {
      if (j >= n) throw bad('unclosed quote', start + 1, query);
      const ch = query[j]!;
      if (ch === '\\' && j + 1 < n) {
        text += query[j + 1];
        j += 2;
        continue;
      }
      if (ch === '"') return { text, end: j + 1 };
      text += ch;
      j++;
    }
  };
  while (i < n) {
    const ch = query[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const pos = i + 1;
    if (ch === '(') {
      tokens.push({ type: 'lparen', text: ch, pos });
      i++;
    } else if (ch === ')') {
      tokens.push({ type: 'rparen', text: ch, pos });
      i++;
    } else if (ch === '"') {
      const { text, end } = readQuoted(i);
      tokens.push({ type: 'phrase', text, pos });
      i = end;
    } else if (ch === '-' && i + 1 < n && !/[\s)]/.test(query[i + 1]!) && (i === 0 || /[\s(]/.test(query[i - 1]!))) {
      tokens.push({ type: 'minus', text: ch, pos });
      i++;
    } else {
      let text = '';
      let quotedValue = false;
      while (i < n && !/[\s()]/.test(query[i]!)) {
        if (query[i] === '"' && text.endsWith(':')) {
          const quoted = readQuoted(i);
          text += quoted.text;
          quotedValue = true;
          i = quoted.end;
          break;
        }
        if (query[i] === '"') throw bad('a quote inside a word (put the whole phrase in quotes)', i + 1, query);
        text += query[i];
        i++;
      }
      const type = text === 'AND' ? 'and' : text === 'OR' ? 'or' : text === 'NOT' ? 'not' : 'word';
      tokens.push({ type, text, pos, quotedValue });
    }
  }
  return tokens;
}

export function parseLogQuery(query: string): QueryNode | null {
  if (query.length > 2000) throw new WharfError('BAD_REQUEST', 'filter: longer than 2000 characters');
  const tokens = tokenize(query);
  if (tokens.length === 0) return null;
  let at = 0;
  const end = query.length + 1;
  const peek = () => tokens[at];

  const parseOr = (): QueryNode => {
    const nodes = [parseAnd()];
    while (peek()?.type === 'or') {
      const or = tokens[at++]!;
      if (!peek() || peek()!.type === 'rparen' || peek()!.type === 'or' || peek()!.type === 'and') throw bad('OR needs something after it', or.pos, query);
      nodes.push(parseAnd());
    }
    return nodes.length === 1 ? nodes[0]! : { kind: 'or', nodes };
  };
  const parseAnd = (): QueryNode => {
    const first = peek();
    if (first?.type === 'and' || first?.type === 'or') throw bad(`${first.text} needs something before it`, first.pos, query);
    const nodes = [parseUnary()];
    for (;;) {
      const next = peek();
      if (!next || next.type === 'or' || next.type === 'rparen') break;
      if (next.type === 'and') {
        at++;
        const after = peek();
        if (!after || after.type === 'rparen' || after.type === 'or' || after.type === 'and') throw bad('AND needs something after it', next.pos, query);
      }
      nodes.push(parseUnary());
    }
    return nodes.length === 1 ? nodes[0]! : { kind: 'and', nodes };
  };
  const parseUnary = (): QueryNode => {
    const token = peek();
    if (token && (token.type === 'minus' || token.type === 'not')) {
      at++;
      const next = peek();
      if (!next || next.type === 'rparen' || next.type === 'or' || next.type === 'and') throw bad(`${token.text} needs something to exclude`, token.pos, query);
      return { kind: 'not', node: parseUnary() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): QueryNode => {
    const token = tokens[at++];
    if (!token) throw bad('the filter ends too early', end, query);
    switch (token.type) {
      case 'lparen': {
        if (peek()?.type === 'rparen') throw bad('empty parentheses', token.pos, query);
        const inner = parseOr();
        const close = tokens[at++];
        if (close?.type !== 'rparen') throw bad('this parenthesis is not closed', token.pos, query);
        return inner;
      }
      case 'rparen':
        throw bad("')' without '('", token.pos, query);
      case 'phrase':
        if (token.text.trim() === '') throw bad('empty phrase', token.pos, query);
        return { kind: 'text', value: token.text, phrase: true, prefix: false };
      case 'word':
        return parseWord(token, query);
      default:
        throw bad(`unexpected ${token.text}`, token.pos, query);
    }
  };

  const tree = parseOr();
  const rest = peek();
  if (rest) throw bad(rest.type === 'rparen' ? "')' without '('" : `unexpected ${rest.text}`, rest.pos, query);
  return tree;
}

function parseWord(token: Token, query: string): QueryNode {
  const { text, pos } = token;
  if (text.startsWith('@')) {
    const colon = text.indexOf(':');
    if (colon < 0) throw bad(`field '${text}' needs a value, like ${text}:value`, pos, query);
    const name = text.slice(1, colon);
    if (name === '' || name.split('.').some((p) => p === '')) throw bad('a field name is missing after @', pos, query);
    let value = text.slice(colon + 1);
    let op: '=' | '>' | '>=' | '<' | '<=' = '=';
    const comparison = token.quotedValue ? null : /^(>=|<=|>|<)(.*)$/.exec(value);
    if (comparison) {
      op = comparison[1] as typeof op;
      value = comparison[2]!;
      if (value === '' || !Number.isFinite(Number(value))) throw bad(`'${op}' needs a number, like @${name}:${op}500`, pos + colon + 1, query);
    }
    if (value === '' && !token.quotedValue) throw bad(`field '@${name}' needs a value (use quotes for an empty one: @${name}:"")`, pos + colon + 1, query);
    return { kind: 'field', path: name.split('.'), op, value };
  }
  const colon = text.indexOf(':');
  const key = colon > 0 ? text.slice(0, colon).toLowerCase() : '';
  if (key === 'level' || key === 'stream') {
    const raw = text.slice(colon + 1);
    if (raw === '') throw bad(`${key}: needs a value`, pos + colon + 1, query);
    const values = raw.toLowerCase().split(',');
    if (key === 'level') {
      const levels = values.map((v) => {
        const level = (LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : LEVEL_ALIASES[v];
        if (!level) throw bad(`unknown level '${v}' (levels: ${LEVELS.join(', ')})`, pos + colon + 1, query);
        return level;
      });
      return { kind: 'level', levels: [...new Set(levels)] };
    }
    const streams = values.map((v) => {
      if (v !== 'out' && v !== 'err' && v !== 'sys') throw bad(`unknown stream '${v}' (streams: out, err, sys)`, pos + colon + 1, query);
      return v;
    });
    return { kind: 'stream', streams: [...new Set(streams)] };
  }
  const prefix = text.length > 1 && text.endsWith('*');
  return { kind: 'text', value: prefix ? text.slice(0, -1) : text, phrase: false, prefix };
}

// ---- compiling to SQLite ----

export interface CompiledQuery {
  /** An FTS5 MATCH expression every result satisfies (exactly, unless `where` refines it). */
  match: string | null;
  /** Further SQL conditions on `lines` (alias l). */
  where: string[];
  params: unknown[];
}

const TOKEN_CHAR = /[\p{L}\p{N}]/u;

function ftsPhrase(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/** The node as an FTS5 expression, if FTS answers it exactly. */
function exactFts(node: QueryNode): string | null {
  switch (node.kind) {
    case 'text':
      if (!TOKEN_CHAR.test(node.value)) return null;
      return `{message fields} : ${ftsPhrase(node.value)}${node.prefix ? ' *' : ''}`;
    case 'level':
      return node.levels.length === 1 ? `level : ${ftsPhrase(node.levels[0]!)}` : `level : (${node.levels.map(ftsPhrase).join(' OR ')})`;
    case 'and': {
      const positive: string[] = [];
      const negative: string[] = [];
      for (const child of node.nodes) {
        const inner = child.kind === 'not' ? exactFts(child.node) : exactFts(child);
        if (inner === null) return null;
        (child.kind === 'not' ? negative : positive).push(inner);
      }
      if (positive.length === 0) return null;
      let expr = positive.map((p) => `(${p})`).join(' AND ');
      for (const n of negative) expr = `(${expr}) NOT (${n})`;
      return expr;
    }
    case 'or': {
      const parts = node.nodes.map(exactFts);
      return parts.every((p) => p !== null) ? parts.map((p) => `(${p})`).join(' OR ') : null;
    }
    default:
      return null;
  }
}

/** A necessary FTS5 condition for the node (narrows the rows SQL must check), or null. */
function prefilterFts(node: QueryNode): string | null {
  const exact = exactFts(node);
  if (exact !== null) return exact;
  switch (node.kind) {
    case 'field': {
      const key = node.path[node.path.length - 1]!;
      const phrase = node.op === '=' ? `${key} ${node.value}` : key;
      return TOKEN_CHAR.test(key) ? `fields : ${ftsPhrase(phrase)}` : null;
    }
    case 'and': {
      const parts = node.nodes.map(prefilterFts).filter((p): p is string => p !== null);
      return parts.length > 0 ? parts.map((p) => `(${p})`).join(' AND ') : null;
    }
    case 'or': {
      const parts = node.nodes.map(prefilterFts);
      return parts.every((p) => p !== null) ? parts.map((p) => `(${p})`).join(' OR ') : null;
    }
    default:
      return null;
  }
}

function jsonPath(path: string[]): string {
  return '$' + path.map((p) => `."${p.replace(/"/g, '\\"')}"`).join('');
}

/** The node as an exact SQL condition on `lines l`. */
function exactSql(node: QueryNode, params: unknown[]): string {
  switch (node.kind) {
    case 'text': {
      const fts = exactFts(node);
      if (fts !== null) {
        params.push(fts);
        return 'l.id IN (SELECT rowid FROM lines_fts WHERE lines_fts MATCH ?)';
      }
      params.push(`%${node.value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      return "l.message LIKE ? ESCAPE '\\'";
    }
    case 'level':
      params.push(...node.levels);
      return `l.level IN (${node.levels.map(() => '?').join(', ')})`;
    case 'stream':
      params.push(...node.streams);
      return `l.stream IN (${node.streams.map(() => '?').join(', ')})`;
    case 'field': {
      const path = jsonPath(node.path);
      if (node.op !== '=') {
        params.push(path, path, Number(node.value));
        return `(json_type(l.fields, ?) IN ('integer', 'real') AND json_extract(l.fields, ?) ${node.op} ?)`;
      }
      if (node.value === 'true' || node.value === 'false' || node.value === 'null') {
        params.push(path, node.value);
        return '(l.fields IS NOT NULL AND json_type(l.fields, ?) = ?)';
      }
      params.push(path, path, node.value);
      return `(l.fields IS NOT NULL AND json_type(l.fields, ?) IN ('text', 'integer', 'real') AND CAST(json_extract(l.fields, ?) AS TEXT) = ?)`;
    }
    case 'not':
      return `NOT (${exactSql(node.node, params)})`;
    case 'and':
      return node.nodes.map((n) => `(${exactSql(n, params)})`).join(' AND ');
    case 'or':
      return node.nodes.map((n) => `(${exactSql(n, params)})`).join(' OR ');
  }
}

export function compileLogQuery(tree: QueryNode | null): CompiledQuery {
  if (tree === null) return { match: null, where: [], params: [] };
  const exact = exactFts(tree);
  if (exact !== null) return { match: exact, where: [], params: [] };
  // A conjunction: what FTS answers exactly goes to MATCH, the rest is checked in SQL (with
  // any necessary FTS condition it implies added to MATCH to narrow the rows).
  const conjuncts = tree.kind === 'and' ? tree.nodes : [tree];
  const ftsParts: string[] = [];
  const negatives: string[] = [];
  const where: string[] = [];
  const params: unknown[] = [];
  for (const node of conjuncts) {
    const fts = exactFts(node);
    if (fts !== null) {
      ftsParts.push(fts);
      continue;
    }
    if (node.kind === 'not') {
      const inner = exactFts(node.node);
      if (inner !== null) {
        negatives.push(inner);
        continue;
      }
    }
    const pre = prefilterFts(node);
    if (pre !== null) ftsParts.push(pre);
    where.push(exactSql(node, params));
  }
  let match: string | null = ftsParts.length > 0 ? ftsParts.map((p) => `(${p})`).join(' AND ') : null;
  if (match !== null) {
    for (const n of negatives) match = `(${match}) NOT (${n})`;
  } else {
    for (const n of negatives) {
      params.push(n);
      where.push('l.id NOT IN (SELECT rowid FROM lines_fts WHERE lines_fts MATCH ?)');
    }
  }
  // Params of `where` are in order; MATCH is bound separately, first.
  return { match, where, params };
}
