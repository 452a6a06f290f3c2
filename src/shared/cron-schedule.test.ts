import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWharfError } from '../core/errors.js';
import { parseSchedule } from './cron-schedule.js';

const FROM = new Date('2024-02-01T00:00:01Z'); // a Thursday
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

const valid: Array<{ expr: string; explains: RegExp; next: string[] }> = [
  {
    expr: '0 2 * * *',
    explains: /^At 02:00, every day \(UTC\)$/,
    next: ['2024-02-01T02:00:00.000Z', '2024-02-02T02:00:00.000Z', '2024-02-03T02:00:00.000Z'],
  },
  {
    expr: '*/15 * * * *',
    explains: /Every 15 minutes/,
    next: ['2024-02-01T00:15:00.000Z', '2024-02-01T00:30:00.000Z', '2024-02-01T00:45:00.000Z'],
  },
  { expr: '@daily', explains: /At 00:00, every day \(UTC\)/, next: ['2024-02-02T00:00:00.000Z', '2024-02-03T00:00:00.000Z', '2024-02-04T00:00:00.000Z'] },
  { expr: '@midnight', explains: /At 00:00/, next: ['2024-02-02T00:00:00.000Z', '2024-02-03T00:00:00.000Z', '2024-02-04T00:00:00.000Z'] },
  { expr: '@hourly', explains: /hour/, next: ['2024-02-01T01:00:00.000Z', '2024-02-01T02:00:00.000Z', '2024-02-01T03:00:00.000Z'] },
  { expr: '@weekly', explains: /Sunday/, next: ['2024-02-04T00:00:00.000Z', '2024-02-11T00:00:00.000Z', '2024-02-18T00:00:00.000Z'] },
  { expr: '@monthly', explains: /day 1 of the month/, next: ['2024-03-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z', '2024-05-01T00:00:00.000Z'] },
  { expr: '@yearly', explains: /January/, next: ['2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'] },
  { expr: '@annually', explains: /January/, next: ['2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'] },
  // OR semantics: day 1 or 15 of the month OR a Monday (Feb 5 and 12 are Mondays, Feb 15 a Thursday).
  {
    expr: '0 0 1,15 * 1',
    explains: /day 1 and 15 of the month, and on Monday/,
    next: ['2024-02-05T00:00:00.000Z', '2024-02-12T00:00:00.000Z', '2024-02-15T00:00:00.000Z', '2024-02-19T00:00:00.000Z'],
  },
  // 7 and 0 are both Sunday; names in any case; ranges of names.
  { expr: '0 0 * * 7', explains: /Sunday/, next: ['2024-02-04T00:00:00.000Z', '2024-02-11T00:00:00.000Z'] },
  { expr: '0 0 * * 0', explains: /Sunday/, next: ['2024-02-04T00:00:00.000Z', '2024-02-11T00:00:00.000Z'] },
  { expr: '0 0 * * 5-7', explains: /Friday through Sunday/, next: ['2024-02-02T00:00:00.000Z', '2024-02-03T00:00:00.000Z', '2024-02-04T00:00:00.000Z', '2024-02-09T00:00:00.000Z'] },
  { expr: '30 9 * * mon-FRI', explains: /09:30/, next: ['2024-02-01T09:30:00.000Z', '2024-02-02T09:30:00.000Z', '2024-02-05T09:30:00.000Z'] },
  { expr: '0 12 1 JAN,jul *', explains: /January and July/, next: ['2024-07-01T12:00:00.000Z', '2025-01-01T12:00:00.000Z'] },
  { expr: '0-10/5 8-18/5 * * *', explains: /minutes/, next: ['2024-02-01T08:00:00.000Z', '2024-02-01T08:05:00.000Z', '2024-02-01T08:10:00.000Z', '2024-02-01T13:00:00.000Z'] },
  { expr: '  0   2 *  * *  ', explains: /02:00/, next: ['2024-02-01T02:00:00.000Z'] },
  { expr: '0 0 29 2 *', explains: /February/, next: ['2024-02-29T00:00:00.000Z', '2028-02-29T00:00:00.000Z'] },
];

for (const { expr, explains, next } of valid) {
  test(`parseSchedule accepts "${expr}"`, () => {
    const schedule = parseSchedule(expr);
    assert.equal(schedule.expression, expr.trim());
    assert.match(schedule.explain(), explains);
    assert.deepEqual(iso(schedule.nextRuns(next.length, FROM)), next);
    assert.equal(schedule.next(FROM)?.toISOString(), next[0]);
  });
}

const invalid: Array<{ expr: string; field?: string; says: RegExp }> = [
  { expr: '60 * * * *', field: 'minute', says: /minute field "60".*out of range \(0–59\)/ },
  { expr: '* 24 * * *', field: 'hour', says: /hour field "24"/ },
  { expr: '0 0 0 * *', field: 'day-of-month', says: /day-of-month field "0"/ },
  { expr: '0 0 32 * *', field: 'day-of-month', says: /day-of-month/ },
  { expr: '0 0 * 13 *', field: 'month', says: /month field "13"/ },
  { expr: '0 0 * * 8', field: 'day-of-week', says: /day-of-week field "8"/ },
  { expr: '0 0 * * MON#2', field: 'day-of-week', says: /"MON#2" is not a number or a name/ },
  { expr: '0 0 L * *', field: 'day-of-month', says: /"L" is not a number/ },
  { expr: '0 0 ? * *', field: 'day-of-month', says: /day-of-month/ },
  { expr: '0 0 * FOO *', field: 'month', says: /"FOO" is not a number or a name \(JAN–DEC\)/ },
  { expr: '0 0 * * JAN', field: 'day-of-week', says: /"JAN"/ },
  { expr: '5-1 * * * *', field: 'minute', says: /runs backwards/ },
  { expr: '*/0 * * * *', field: 'minute', says: /step/ },
  { expr: '5/10 * * * *', field: 'minute', says: /a step needs "\*" or a range/ },
  { expr: '1,,2 * * * *', field: 'minute', says: /empty item/ },
  { expr: '1- * * * *', field: 'minute', says: /not a value or a range/ },
  { expr: '0 0 30 2 *', field: 'day-of-month', says: /never match a real date/ },
  { expr: '0 0 2 * * *', says: /has 6 fields.*seconds and years are not/ },
  { expr: '0 0 2 * * * 2030', says: /has 7 fields/ },
  { expr: '0 2 * *', says: /has 4 fields, expected 5/ },
  { expr: '', says: /empty/ },
  { expr: '@reboot', says: /unknown macro "@reboot"/ },
  { expr: 'every day', says: /has 2 fields/ },
];

for (const { expr, field, says } of invalid) {
  test(`parseSchedule rejects "${expr}"`, () => {
    assert.throws(
      () => parseSchedule(expr),
      (error: unknown) => {
        assert.ok(isWharfError(error));
        assert.equal(error.code, 'INVALID_CONFIG');
        assert.ok(error.message.includes(`"${expr.trim()}"`), error.message);
        assert.match(error.message, says);
        assert.match(error.hint ?? '', /"0 2 \* \* \*" runs every day at 02:00 UTC/);
        if (field !== undefined) assert.equal((error.details as { field?: string }).field, field);
        return true;
      },
    );
  });
}

test('previous lists the scheduled times in (after, before], oldest first', () => {
  const hourly = parseSchedule('0 * * * *');
  const after = new Date('2024-01-01T00:00:00Z');
  assert.deepEqual(iso(hourly.previous(new Date('2024-01-01T03:00:00Z'), after)), [
    '2024-01-01T01:00:00.000Z',
    '2024-01-01T02:00:00.000Z',
    '2024-01-01T03:00:00.000Z',
  ]);
  assert.deepEqual(iso(hourly.previous(new Date('2024-01-01T02:59:59.999Z'), after)), ['2024-01-01T01:00:00.000Z', '2024-01-01T02:00:00.000Z']);
  assert.deepEqual(hourly.previous(new Date('2024-01-01T00:30:00Z'), after), []);
});

test('previous is capped to the most recent times', () => {
  const everyMinute = parseSchedule('* * * * *');
  const before = new Date('2024-01-08T00:00:00Z');
  const runs = everyMinute.previous(before, new Date('2024-01-01T00:00:00Z'));
  assert.equal(runs.length, 1000);
  assert.equal(runs.at(-1)?.toISOString(), before.toISOString());
  assert.equal(runs[0]?.toISOString(), new Date(before.getTime() - 999 * 60_000).toISOString());
  assert.equal(everyMinute.previous(before, new Date(0), 3).length, 3);
});

test('describe gives the expression, the explanation and the next runs as ISO strings', () => {
  assert.deepEqual(parseSchedule('0 2 * * *').describe(2, FROM), {
    expression: '0 2 * * *',
    explanation: 'At 02:00, every day (UTC)',
    nextRuns: ['2024-02-01T02:00:00.000Z', '2024-02-02T02:00:00.000Z'],
  });
  assert.equal(parseSchedule('@daily').describe().nextRuns.length, 5);
});
