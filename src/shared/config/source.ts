import { WharfError } from '../../core/errors.js';
import type { ConfigWarning } from '../../core/project-spec.js';
import type { Position } from './positions.js';

// A config file read into plain values, with a way back to where each field sits, so
// every error and warning can name `file:line:column` and the field's path.

export type PathSegment = string | number;
/** `key`: where the field's name is; `value`: where its value starts (for a wrong value). */
export type Locate = (path: readonly PathSegment[], at?: 'key' | 'value') => Position | null;

export interface SourceDocument {
  file: string;
  value: unknown;
  locate: Locate;
}

/** `['services', 1, 'type']` → `services[1].type`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out || '(root)';
}

export function place(file: string, at: Position | null): string {
  return at ? `${file}:${at.line}:${at.column}` : file;
}

/** An INVALID_CONFIG error naming `file:line:col path: what`. */
export function fieldError(doc: SourceDocument, path: readonly PathSegment[], what: string, hint: string, at: 'key' | 'value' = 'value'): WharfError {
  const position = doc.locate(path, at);
  return new WharfError('INVALID_CONFIG', `${place(doc.file, position)} ${formatPath(path)}: ${what}`, { hint });
}

/** Collects what a reader could not map, each with where it is. */
export class Warnings {
  readonly list: ConfigWarning[] = [];
  constructor(private readonly doc: SourceDocument) {}

  add(path: readonly PathSegment[], message: string): void {
    const at = this.doc.locate(path, 'key');
    this.list.push({ file: this.doc.file, ...(at ? { line: at.line, column: at.column } : {}), field: formatPath(path), message });
  }

  /** Every key of `value` not in `mapped`, as "not supported yet". */
  unmapped(path: readonly PathSegment[], value: Record<string, unknown>, mapped: readonly string[], why = 'not supported yet; ignored'): void {
    for (const key of Object.keys(value)) if (!mapped.includes(key)) this.add([...path, key], why);
  }
}

export function formatWarning(w: ConfigWarning): string {
  const at = w.line !== undefined ? `${w.file}:${w.line}:${w.column ?? 1}` : w.file;
  return `${at} ${w.field}: ${w.message}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a table';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root;
  for (const key of path) current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  return current;
}
