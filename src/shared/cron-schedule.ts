import { Cron } from 'croner';
import cronstrue from 'cronstrue';
import { WharfError } from '../core/errors.js';

// A cron schedule as Railway's `cronSchedule` takes it (REFERENCE §3.6): the standard 5
// fields (minute hour day-of-month month day-of-week) with `*`, lists, ranges and steps,
// day-of-week 0–7 (0 and 7 are Sunday), month and weekday names, always in UTC; plus the
// common macros. Seconds and years (6/7 fields) and non-standard extensions (L, W, #, ?)
// are refused. We validate every field ourselves so the error names the field that is
// wrong, then hand the expression to croner for the arithmetic. Croner runs in its
// legacy mode (domAndDow: false): when both day-of-month and day-of-week are restricted
// a day matches if EITHER does, as crontab does. Unlike Vixie cron, croner treats a
// stepped wildcard such as `*/2` as a restriction too.

export interface CronScheduleDescription {
  expression: string;
  explanation: string;
  /** ISO timestamps (UTC). */
  nextRuns: string[];
}

export interface CronSchedule {
  /** The expression as written, e.g. `0 2 * * *` or `@daily`. */
  readonly expression: string;
  /** Human-readable, e.g. "At 02:00, every day (UTC)". */
  explain(): string;
  /** The next `count` scheduled times strictly after `from`. */
  nextRuns(count: number, from: Date): Date[];
  /** The first scheduled time strictly after `from`, or null if there is none. */
  next(from: Date): Date | null;
  /**
   * Scheduled times in (after, before], oldest first. At most `limit` (default 1000): when
   * there are more, the most recent `limit` are returned. For missed-run detection.
   */
  previous(before: Date, after: Date, limit?: number): Date[];
  describe(count?: number, from?: Date): CronScheduleDescription;
}

export const MAX_PREVIOUS_RUNS = 1000;

export const CRON_MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const EXAMPLE_HINT =
  'Use 5 fields in UTC: minute hour day-of-month month day-of-week, e.g. "0 2 * * *" runs every day at 02:00 UTC; ' +
  'or a macro: @hourly, @daily, @weekly, @monthly, @yearly.';

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[]; // index + min = value
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

function invalid(expression: string, problem: string, field?: string): WharfError {
  return new WharfError('INVALID_CONFIG', `Cron schedule "${expression}": ${problem}`, {
    hint: EXAMPLE_HINT,
    details: { expression, ...(field === undefined ? {} : { field }) },
  });
}

function parseValue(raw: string, spec: FieldSpec, fail: (problem: string) => WharfError): number {
  let value: number;
  if (/^\d+$/.test(raw)) {
    value = Number(raw);
  } else {
    const index = spec.names?.indexOf(raw.toUpperCase()) ?? -1;
    if (index < 0) {
      const names = spec.names ? ` or a name (${spec.names[0]}–${spec.names[spec.names.length - 1]})` : '';
      throw fail(`"${raw}" is not a number${names}`);
    }
    value = index + spec.min;
  }
  if (value < spec.min || value > spec.max) throw fail(`${value} is out of range (${spec.min}–${spec.max})`);
  return value;
}

function validateField(expression: string, text: string, spec: FieldSpec): void {
  const fail = (problem: string): WharfError => invalid(expression, `the ${spec.name} field "${text}" is not valid: ${problem}`, spec.name);
  for (const item of text.split(',')) {
    if (item === '') throw fail('a list has an empty item');
    const [range, step, ...extra] = item.split('/');
    if (extra.length > 0 || range === undefined) throw fail(`"${item}" has more than one "/"`);
    if (step !== undefined && !/^[1-9]\d*$/.test(step)) throw fail(`the step in "${item}" must be a whole number of at least 1`);
    if (range === '*') continue;
    const bounds = range.split('-');
    if (bounds.length > 2 || bounds.some((b) => b === '')) throw fail(`"${range}" is not a value or a range like 1-5`);
    if (bounds.length === 1 && step !== undefined) throw fail(`a step needs "*" or a range before it ("*/${step}" or "a-b/${step}"), not "${item}"`);
    const values = bounds.map((b) => parseValue(b, spec, fail));
    if (values.length === 2 && values[0]! > values[1]!) throw fail(`the range "${range}" runs backwards`);
  }
}

/** Parses and validates a cron expression; throws WharfError('INVALID_CONFIG') naming the wrong field. */
export function parseSchedule(expr: string): CronSchedule {
  const expression = expr.trim();
  if (expression === '') throw invalid(expr, 'the schedule is empty');
  let fields: string;
  if (expression.startsWith('@')) {
    const macro = CRON_MACROS[expression.toLowerCase()];
    if (macro === undefined) throw invalid(expression, `unknown macro "${expression}" (known: ${Object.keys(CRON_MACROS).join(', ')})`);
    fields = macro;
  } else {
    const parts = expression.split(/\s+/);
    if (parts.length === 6 || parts.length === 7) {
      throw invalid(expression, `has ${parts.length} fields, but only the standard 5 are supported (minute hour day-of-month month day-of-week); seconds and years are not`);
    }
    if (parts.length !== 5) throw invalid(expression, `has ${parts.length} field${parts.length === 1 ? '' : 's'}, expected 5 (minute hour day-of-month month day-of-week)`);
    parts.forEach((part, i) => validateField(expression, part, FIELDS[i]!));
    fields = parts.join(' ');
  }

  let cron: Cron;
  try {
    cron = new Cron(fields, { timezone: 'UTC', paused: true, mode: '5-part', domAndDow: false });
  } catch (error) {
    throw invalid(expression, error instanceof Error ? error.message : String(error));
  }
  if (cron.nextRun(new Date(0)) === null) {
    throw invalid(expression, 'the day-of-month and month fields never match a real date (e.g. 30 in February)', 'day-of-month');
  }
  const explanation = `${cronstrue.toString(fields, { use24HourTimeFormat: true, verbose: true })} (UTC)`;
  return new CronerSchedule(expression, explanation, cron);
}

class CronerSchedule implements CronSchedule {
  constructor(
    readonly expression: string,
    private readonly explanation: string,
    private readonly cron: Cron,
  ) {}

  explain(): string {
    return this.explanation;
  }

  nextRuns(count: number, from: Date): Date[] {
    return count > 0 ? this.cron.nextRuns(count, from) : [];
  }

  next(from: Date): Date | null {
    return this.cron.nextRun(from);
  }

  previous(before: Date, after: Date, limit = MAX_PREVIOUS_RUNS): Date[] {
    const found: Date[] = [];
    // croner's previousRuns excludes the reference itself; +1 ms makes `before` inclusive.
    let reference = new Date(before.getTime() + 1);
    let batch = 8;
    while (found.length < limit) {
      const wanted = Math.min(batch, limit - found.length);
      const runs = this.cron.previousRuns(wanted, reference);
      for (const run of runs) {
        if (run.getTime() <= after.getTime()) return found.reverse();
        found.push(run);
      }
      if (runs.length < wanted) break;
      reference = runs[runs.length - 1]!;
      batch = Math.min(batch * 2, limit);
    }
    return found.reverse();
  }

  describe(count = 5, from: Date = new Date()): CronScheduleDescription {
    return {
      expression: this.expression,
      explanation: this.explanation,
      nextRuns: this.nextRuns(count, from).map((d) => d.toISOString()),
    };
  }
}
