import type { z } from 'zod';
import { WharfError } from '../../core/errors.js';
import { didYouMean } from './did-you-mean.js';
import { describeValue, formatPath, place, valueAt, type PathSegment, type SourceDocument } from './source.js';

// zod's issues → one INVALID_CONFIG error in file order: `file:line:col path: what is
// expected`, with a did-you-mean for a near-miss key or enum value.

export interface IssueContext {
  /** The keys allowed in the table at `path`, for did-you-mean. */
  knownFields(path: readonly PathSegment[]): readonly string[];
  /** Words for what a field expects (by its last key), when zod's are too terse. */
  expected?: Record<string, string>;
  hint: string;
}

interface Problem {
  line: number;
  column: number;
  text: string;
}

export function issuesError(doc: SourceDocument, issues: readonly z.core.$ZodIssue[], ctx: IssueContext): WharfError {
  const problems = issues.flatMap((issue) => describe(doc, issue, ctx));
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  const texts = problems.map((p) => p.text);
  const [first, ...rest] = texts;
  const message = rest.length > 0 ? `${first} (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : (first ?? `${doc.file}: not valid`);
  return new WharfError('INVALID_CONFIG', message, { hint: ctx.hint, details: { problems: texts } });
}

function describe(doc: SourceDocument, issue: z.core.$ZodIssue, ctx: IssueContext): Problem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const problem = (p: readonly PathSegment[], what: string, at: 'key' | 'value' = 'key'): Problem => {
    const position = doc.locate(p, at);
    return { line: position?.line ?? Infinity, column: position?.column ?? 0, text: `${place(doc.file, position)} ${formatPath(p)}: ${what}` };
  };
  const value = valueAt(doc.value, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const suggestion = didYouMean(key, ctx.knownFields(path));
        return problem([...path, key], `unknown field${suggestion ? ` — did you mean '${suggestion}'?` : ''}`);
      });
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const given = typeof value === 'string' ? value : undefined;
      const suggestion = given !== undefined ? didYouMean(given, allowed) : null;
      const shown = given !== undefined ? `'${given}'` : describeValue(value);
      return [problem(path, `${shown} is not one of ${allowed.join(', ')}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`)];
    }
    case 'invalid_key': {
      const key = String(path[path.length - 1]);
      const inner = issue.issues[0]?.message ?? 'not allowed';
      return [problem(path, `'${key}' is not a valid name: ${inner}`)];
    }
    case 'invalid_union':
      return [problem(path, `expected ${ctx.expected?.[unionName(path)] ?? 'a string or a table'}, got ${describeValue(value)}`)];
    case 'custom':
      // A refinement's message says what is wrong itself (and names the value when it helps).
      return [problem(path, issue.message.startsWith('expected') ? `${issue.message}, got ${describeValue(value)}` : issue.message)];
    default: {
      const field = String(path[path.length - 1] ?? '');
      const expected = ctx.expected?.[field];
      const what = expected ? `expected ${expected}` : issue.code === 'invalid_type' ? `expected ${article(issue.expected)}` : lowerFirst(issue.message);
      return [problem(path, `${what}, got ${describeValue(value)}`)];
    }
  }
}

function unionName(path: readonly PathSegment[]): string {
  return path[path.length - 2] === 'variables' ? '(variable)' : String(path[path.length - 1]);
}

function article(type: string): string {
  const words: Record<string, string> = { object: 'a table', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false', int: 'a whole number' };
  return words[type] ?? type;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
