import { AhoCorasick } from './aho-corasick.js';

// Replaces secret values in log lines with `[secret:KEY]`, before the line is written.
// Besides the value itself it catches the forms a value commonly takes in logs: URL-encoded
// (a password inside a connection string), JSON-escaped (a value logged inside a JSON
// line), and base64 (Basic auth headers `user:password`, wherever the value sits in the
// encoded text).
// Every occurrence is found, overlapping ones too (one Aho-Corasick pass), and overlapping
// or nested matches are merged, so no piece of a secret survives next to the label.

export interface SecretValue {
  key: string;
  value: string;
}

/**
 * Values shorter than this are not redacted. Short values ("true", "8080", "admin", "eu")
 * occur all over ordinary log text: replacing them would shred every line, and the
 * replacements would point at exactly where the short value appears, which tells a reader
 * more than it hides. A secret that short is guessable anyway; the fix is a longer value
 * (`generateSecret`), not a redaction.
 */
export const MIN_REDACTED_LENGTH = 6;

export class Redactor {
  private readonly matcher: AhoCorasick | null;
  private readonly labels: string[] = [];

  constructor(secrets: Iterable<SecretValue>) {
    const patterns: string[] = [];
    const seen = new Set<string>();
    for (const { key, value } of secrets) {
      if (value.length < MIN_REDACTED_LENGTH) continue;
      for (const form of formsOf(value)) {
        if (form.length < MIN_REDACTED_LENGTH || seen.has(form)) continue;
        seen.add(form);
        patterns.push(form);
        this.labels.push(`[secret:${key}]`);
      }
    }
    this.matcher = patterns.length > 0 ? new AhoCorasick(patterns) : null;
  }

  /** How many strings (values and their encoded forms) are looked for. */
  get size(): number {
    return this.labels.length;
  }

  redact(line: string): string {
    if (!this.matcher) return line;
    const matches = this.matcher.findAll(line);
    if (matches.length === 0) return line;
    // Longest first at each start, so a value inside a longer one is covered by it.
    matches.sort((a, b) => a.start - b.start || b.end - a.end);
    let out = '';
    let copied = 0;
    let region = { start: -1, end: -1, labels: [] as string[] };
    const flush = () => {
      if (region.start < 0) return;
      out += line.slice(copied, region.start) + [...new Set(region.labels)].join('');
      copied = region.end;
    };
    for (const m of matches) {
      if (m.start < region.end) {
        if (m.end > region.end) {
          region.end = m.end;
          region.labels.push(this.labels[m.pattern]!);
        }
        continue;
      }
      flush();
      region = { start: m.start, end: m.end, labels: [this.labels[m.pattern]!] };
    }
    flush();
    return out + line.slice(copied);
  }
}

/** The value and the encoded forms it often takes in logs. */
function formsOf(value: string): string[] {
  const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
  // In base64 a value encodes one of three ways, by where it starts in a 3-byte group (after
  // `user:` it starts at 5 % 3). Skipping its first 0, 1 or 2 bytes aligns it to a group; whole
  // groups only, which encode the same whatever comes before and after.
  const bytes = Buffer.from(value, 'utf8');
  for (let skip = 0; skip < 3; skip++) {
    const rest = bytes.subarray(skip);
    const whole = rest.subarray(0, rest.length - (rest.length % 3));
    if (whole.length > 0) forms.push(whole.toString('base64'), whole.toString('base64url'));
  }
  return forms;
}
