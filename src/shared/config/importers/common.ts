import { WharfError } from '../../../core/errors.js';
import { NAME_PATTERN, suggestName } from '../../../core/names.js';
import { projectSpecSchema, type ImportResult, type ProjectSpecInput } from '../../../core/project-spec.js';
import { didYouMean } from '../did-you-mean.js';
import { describeValue, fieldError, formatPath, isRecord, type PathSegment, type SourceDocument, type Warnings } from '../source.js';
import { issuesError } from '../zod-issues.js';
import { WHARF_EXPECTED, wharfKnownFields } from '../wharf-toml.js';

// What every importer shares: typed reads of a source document that fail with
// `file:line:col path: expected …`, names made Wharf names (with a warning, never silently),
// and the final check of the ProjectSpec it produced.

export interface ImportOptions {
  /** The service a single-service file (railway.json/toml) becomes; default `web`. */
  serviceName?: string;
}

export type Importer = (file: string, text: string, opts?: ImportOptions) => ImportResult;

export class Checks {
  constructor(
    readonly doc: SourceDocument,
    private readonly hint: string,
  ) {}

  fail(path: readonly PathSegment[], what: string, at: 'key' | 'value' = 'value'): never {
    throw fieldError(this.doc, path, what, this.hint, at);
  }

  expected(path: readonly PathSegment[], what: string, value: unknown): never {
    return this.fail(path, `expected ${what}, got ${describeValue(value)}`);
  }

  map(path: readonly PathSegment[], value: unknown, what = 'a mapping'): Record<string, unknown> {
    if (!isRecord(value)) this.expected(path, what, value);
    return value as Record<string, unknown>;
  }

  list(path: readonly PathSegment[], value: unknown, what = 'a list'): unknown[] {
    if (!Array.isArray(value)) this.expected(path, what, value);
    return value as unknown[];
  }

  /** A string; numbers and booleans are accepted as their text (YAML users forget quotes). */
  string(path: readonly PathSegment[], value: unknown, what = 'a string'): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return this.expected(path, what, value);
  }

  optionalString(path: readonly PathSegment[], value: unknown, what = 'a string'): string | undefined {
    return value === undefined || value === null ? undefined : this.string(path, value, what);
  }

  int(path: readonly PathSegment[], value: unknown, min: number, max: number): number {
    const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) this.expected(path, `a whole number from ${min} to ${max}`, value);
    return n as number;
  }

  oneOf<T extends string>(path: readonly PathSegment[], value: unknown, allowed: readonly T[]): T {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    const suggestion = typeof value === 'string' ? didYouMean(value, allowed) : null;
    const shown = typeof value === 'string' ? `'${value}'` : describeValue(value);
    return this.fail(path, `${shown} is not one of ${allowed.join(', ')}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`);
  }

  /** Unknown keys are errors (with a did-you-mean): a typo must not silently do nothing. */
  knownKeys(path: readonly PathSegment[], value: Record<string, unknown>, known: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const suggestion = didYouMean(key, known);
      this.fail([...path, key], `unknown field${suggestion ? ` — did you mean '${suggestion}'?` : ''}`, 'key');
    }
  }
}

/** Makes names Wharf names (DNS labels), the same way for a definition and its references. */
export class Names {
  private readonly given = new Map<string, string>();
  private readonly taken = new Set<string>();
  constructor(
    private readonly warnings: Warnings,
    private readonly what: string,
  ) {}

  /** The Wharf name for `original`; warns (at `path`) when it had to change. */
  name(original: string, path: readonly PathSegment[]): string {
    const known = this.given.get(original);
    if (known !== undefined) return known;
    let name = NAME_PATTERN.test(original) ? original : suggestName(original);
    if (this.taken.has(name)) {
      let i = 2;
      while (this.taken.has(`${name.slice(0, 37)}-${i}`)) i++;
      name = `${name.slice(0, 37)}-${i}`;
    }
    if (name !== original) this.warnings.add(path, `${this.what} name '${original}' is not a Wharf name (1-40 lowercase letters, digits and dashes); imported as '${name}'`);
    this.given.set(original, name);
    this.taken.add(name);
    return name;
  }

  /** The name given to `original` so far, or the name it would get, without a warning. */
  ref(original: string): string {
    return this.given.get(original) ?? (NAME_PATTERN.test(original) ? original : suggestName(original));
  }

  has(original: string): boolean {
    return this.given.has(original);
  }
}

/** The ProjectSpec an importer built, checked and with defaults (an importer bug if it fails). */
export function finish(doc: SourceDocument, input: ProjectSpecInput, warnings: Warnings): ImportResult {
  const parsed = projectSpecSchema.safeParse(input);
  if (!parsed.success) {
    const mapped: SourceDocument = { file: doc.file, value: input, locate: () => null };
    const error = issuesError(mapped, parsed.error.issues, { knownFields: wharfKnownFields, expected: WHARF_EXPECTED, hint: `Fix ${doc.file}; the value is copied into wharf.toml as is.` });
    throw new WharfError('INVALID_CONFIG', `${doc.file}: imported as ${error.message.slice(doc.file.length + 1)}`, { hint: error.hint });
  }
  const sorted = [...warnings.list].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { spec: parsed.data, warnings: sorted };
}

/** Environment names in a stable order: production first, then as met. */
export function environmentList(names: Iterable<string>): string[] {
  const rest = [...new Set(names)].filter((n) => n !== 'production');
  return ['production', ...rest];
}

export { formatPath };
