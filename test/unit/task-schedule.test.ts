import { scheduleGridTime } from '../../runtime/tasks/wire';
/** Schedule expressions of scheduled tasks: parsing, validation and next fire times (all UTC). */
import { InvalidDefinitionError } from '../../runtime/errors';
import { everyToSeconds, nextFireTime, parseScheduleExpression, rateExpression, runsOnEventBridge } from '../../runtime/tasks';

const at = (iso: string) => new Date(iso);
function next(expression: string, after: string): string | undefined {
  return nextFireTime(parseScheduleExpression(expression, 'test'), at(after))?.toISOString();
}
/** The first `count` fire times after `after`. */
function series(expression: string, after: string, count: number): string[] {
  const schedule = parseScheduleExpression(expression, 'test');
  const out: string[] = [];
  let t = at(after);
  for (let i = 0; i < count; i++) {
    const n = nextFireTime(schedule, t);
    if (!n) break;
    out.push(n.toISOString());
    t = n;
  }
  return out;
}

describe('rate expressions', () => {
  it('parses EventBridge rates, canonically', () => {
    expect(parseScheduleExpression('rate(1 minute)', 't')).toEqual({ kind: 'rate', expression: 'rate(1 minute)', intervalSeconds: 60 });
    expect(parseScheduleExpression('  rate( 5  minutes ) ', 't')).toMatchObject({ expression: 'rate(5 minutes)', intervalSeconds: 300 });
    expect(parseScheduleExpression('rate(2 hours)', 't')).toMatchObject({ intervalSeconds: 7200 });
    expect(parseScheduleExpression('rate(1 day)', 't')).toMatchObject({ intervalSeconds: 86_400 });
    expect(parseScheduleExpression('rate(30 seconds)', 't')).toMatchObject({ intervalSeconds: 30 });
  });

  it('rejects what EventBridge rejects, saying what was given and what is allowed', () => {
    const bad: [string, RegExp][] = [
      ['rate(1 minutes)', /write "1 minute".*singular for 1/],
      ['rate(5 minute)', /write "5 minutes"/],
      ['rate(0 minutes)', /"0" is not a positive whole number/],
      ['rate(1.5 hours)', /"1.5" is not a positive whole number/],
      ['rate(2 weeks)', /unknown unit "weeks"/],
      ['rate(5minutes)', /number and a unit/],
    ];
    for (const [expression, problem] of bad) {
      let error: unknown;
      try {
        parseScheduleExpression(expression, 'schedule(sweep)');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidDefinitionError);
      expect((error as Error).message).toMatch(problem);
      expect((error as Error).message).toContain('schedule(sweep): invalid schedule expression');
      expect((error as Error).message).toContain(JSON.stringify(expression));
      expect((error as Error).message).toMatch(/Expected rate\(<n> <unit>\)/);
    }
  });

  it('fires on a grid from the Unix epoch, so every process computes the same times', () => {
    expect(next('rate(5 minutes)', '2024-05-01T10:07:30.123Z')).toBe('2024-05-01T10:10:00.000Z');
    expect(next('rate(5 minutes)', '2024-05-01T10:10:00.000Z')).toBe('2024-05-01T10:15:00.000Z');
    expect(next('rate(1 second)', '2024-05-01T10:10:00.999Z')).toBe('2024-05-01T10:10:01.000Z');
    expect(next('rate(1 day)', '2024-02-28T23:59:59.000Z')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('only whole minutes run on EventBridge', () => {
    expect(runsOnEventBridge(parseScheduleExpression('rate(30 seconds)', 't'))).toBe(false);
    expect(runsOnEventBridge(parseScheduleExpression('rate(120 seconds)', 't'))).toBe(true);
    expect(runsOnEventBridge(parseScheduleExpression('cron(0 * * * ? *)', 't'))).toBe(true);
  });
});

describe('every() intervals', () => {
  it('adds the units up and renders the largest unit that divides the total', () => {
    expect(everyToSeconds({ seconds: 1 }, 't')).toBe(1);
    expect(everyToSeconds({ minutes: 1, seconds: 30 }, 't')).toBe(90);
    expect(everyToSeconds({ days: 1, hours: 2 }, 't')).toBe(93_600);
    expect(rateExpression(1)).toBe('rate(1 second)');
    expect(rateExpression(90)).toBe('rate(90 seconds)');
    expect(rateExpression(120)).toBe('rate(2 minutes)');
    expect(rateExpression(5400)).toBe('rate(90 minutes)');
    expect(rateExpression(3600)).toBe('rate(1 hour)');
    expect(rateExpression(86_400 * 2)).toBe('rate(2 days)');
  });

  it('rejects intervals that are not positive whole units', () => {
    expect(() => everyToSeconds({}, 'every(x)')).toThrow(/every\(x\): the interval must be longer than zero.*got \{\}/);
    expect(() => everyToSeconds({ seconds: 0 }, 'every(x)')).toThrow(/longer than zero/);
    expect(() => everyToSeconds({ seconds: 1.5 }, 'every(x)')).toThrow(/interval seconds must be a whole number of 0 or more; got 1.5/);
    expect(() => everyToSeconds({ minutes: -1 }, 'every(x)')).toThrow(/minutes must be a whole number.*got -1/);
    expect(() => everyToSeconds({ minutes: '5' }, 'every(x)')).toThrow(/got "5"/);
    expect(() => everyToSeconds({ weeks: 1 }, 'every(x)')).toThrow(/unknown interval key\(s\) "weeks"; allowed: seconds, minutes, hours, days/);
    expect(() => everyToSeconds(5, 'every(x)')).toThrow(/must be an object such as \{ minutes: 5 \}.*got 5/);
    expect(() => everyToSeconds(null, 'every(x)')).toThrow(InvalidDefinitionError);
  });
});

describe('cron expressions: parsing', () => {
  it('canonicalises spacing and case', () => {
    expect(parseScheduleExpression('cron(0  12 ? * mon-fri *)', 't').expression).toBe('cron(0 12 ? * MON-FRI *)');
  });

  it('rejects malformed expressions, naming the field and the allowed values', () => {
    const bad: [string, RegExp][] = [
      ['cron(0 12 * * ?)', /has 5 field\(s\); EventBridge cron expressions have exactly 6/],
      ['cron(0 0 12 * * ? *)', /has 7 field\(s\)/],
      ['cron(0 12 * * * *)', /day-of-month \("\*"\) and day-of-week \("\*"\) cannot both be given; make one of them "\?"/],
      ['cron(0 12 ? * ? *)', /both "\?"/],
      ['cron(60 * * * ? *)', /minutes: 60 is out of range \(0–59\)/],
      ['cron(0 24 * * ? *)', /hours: 24 is out of range \(0–23\)/],
      ['cron(0 0 0 * ? *)', /day-of-month: 0 is out of range \(1–31\)/],
      ['cron(0 0 * 13 ? *)', /month: 13 is out of range \(1–12\)/],
      ['cron(0 0 ? * 8 *)', /day-of-week: 8 is out of range \(1–7\)/],
      ['cron(0 0 * * ? 1969)', /year: 1969 is out of range \(1970–2199\)/],
      ['cron(0 0 ? * FOO *)', /day-of-week: "FOO" is not a value from 1 to 7 or SUN–SAT/],
      ['cron(30-10 * * * ? *)', /runs backwards \(30 > 10\)/],
      ['cron(*/0 * * * ? *)', /step after "\/" must be a positive whole number/],
      ['cron(? * * * ? *)', /"\?" is allowed only in day-of-month or day-of-week/],
      ['cron(0 0 ? * L *)', /day-of-week "L": give the weekday, e.g. "6L"/],
      ['cron(0 0 L,15 * ? *)', /must stand alone/],
      ['cron(0 0 ? * 2#6 *)', /the n of "<day>#<n>" must be 1 to 5/],
      ['cron(0 0 1,,2 * ? *)', /empty list item/],
      ['0 12 * * ?', /must start with "cron\(" or "rate\("/],
      ['cron(0 12 * * ? *', /must end with "\)"/],
    ];
    for (const [expression, problem] of bad) {
      expect(() => parseScheduleExpression(expression, 'schedule(report)')).toThrow(problem);
    }
    expect(() => parseScheduleExpression('cron(0 12 * * ?)', 'schedule(report)')).toThrow(
      /schedule\(report\): invalid schedule expression .*Expected cron\(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>\) in UTC/,
    );
    expect(() => parseScheduleExpression(42, 'schedule(report)')).toThrow(/must be a string .*got 42/);
  });
});

describe('cron expressions: next fire time', () => {
  it('fires strictly after the given time, on whole minutes', () => {
    expect(next('cron(0 12 * * ? *)', '2024-05-01T11:59:59.999Z')).toBe('2024-05-01T12:00:00.000Z');
    expect(next('cron(0 12 * * ? *)', '2024-05-01T12:00:00.000Z')).toBe('2024-05-02T12:00:00.000Z');
    expect(next('cron(* * * * ? *)', '2024-05-01T12:00:30.000Z')).toBe('2024-05-01T12:01:00.000Z');
  });

  it('steps, ranges and lists', () => {
    expect(series('cron(*/15 * * * ? *)', '2024-05-01T10:07:00Z', 4)).toEqual([
      '2024-05-01T10:15:00.000Z',
      '2024-05-01T10:30:00.000Z',
      '2024-05-01T10:45:00.000Z',
      '2024-05-01T11:00:00.000Z',
    ]);
    expect(series('cron(5/20 * * * ? *)', '2024-05-01T10:00:00Z', 4).map((t) => t.slice(11, 16))).toEqual(['10:05', '10:25', '10:45', '11:05']);
    expect(series('cron(0 9-17/4 * * ? *)', '2024-05-01T00:00:00Z', 4).map((t) => t.slice(8, 16))).toEqual([
      '01T09:00',
      '01T13:00',
      '01T17:00',
      '02T09:00',
    ]);
    expect(series('cron(0 0 1,15 JAN,JUL ? *)', '2024-01-01T00:00:00Z', 4).map((t) => t.slice(0, 10))).toEqual([
      '2024-01-15',
      '2024-07-01',
      '2024-07-15',
      '2025-01-01',
    ]);
  });

  it('month ends: day 31 skips short months, Feb 29 waits for a leap year', () => {
    expect(series('cron(0 0 31 * ? *)', '2024-01-31T00:00:00Z', 3).map((t) => t.slice(0, 10))).toEqual([
      '2024-03-31',
      '2024-05-31',
      '2024-07-31',
    ]);
    expect(next('cron(0 0 29 2 ? *)', '2024-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('cron(59 23 31 12 ? *)', '2024-12-31T23:59:00Z')).toBe('2025-12-31T23:59:00.000Z');
  });

  it('L: the last day of the month', () => {
    expect(series('cron(0 0 L * ? *)', '2023-12-31T00:00:00Z', 5).map((t) => t.slice(0, 10))).toEqual([
      '2024-01-31',
      '2024-02-29',
      '2024-03-31',
      '2024-04-30',
      '2024-05-31',
    ]);
    expect(next('cron(0 0 L 2 ? *)', '2023-01-01T00:00:00Z')).toBe('2023-02-28T00:00:00.000Z');
  });

  it('W and LW: the nearest weekday within the month', () => {
    // 2024-06-15 is a Saturday → Friday the 14th; 2024-09-15 a Sunday → Monday the 16th.
    expect(next('cron(0 0 15W * ? *)', '2024-06-01T00:00:00Z')).toBe('2024-06-14T00:00:00.000Z');
    expect(next('cron(0 0 15W * ? *)', '2024-09-01T00:00:00Z')).toBe('2024-09-16T00:00:00.000Z');
    // 2024-06-01 is a Saturday: 1W never leaves the month → Monday the 3rd.
    expect(next('cron(0 0 1W * ? *)', '2024-05-31T00:00:00Z')).toBe('2024-06-03T00:00:00.000Z');
    // 2024-08-31 is a Saturday → the last weekday is Friday the 30th.
    expect(next('cron(0 0 LW * ? *)', '2024-08-01T00:00:00Z')).toBe('2024-08-30T00:00:00.000Z');
  });

  it('day-of-week: names, numbers (1 = Sunday), ranges, last and nth weekday', () => {
    // 2024-05-03 is a Friday.
    expect(next('cron(0 9 ? * MON-FRI *)', '2024-05-03T09:00:00Z')).toBe('2024-05-06T09:00:00.000Z');
    expect(next('cron(0 9 ? * 2-6 *)', '2024-05-03T09:00:00Z')).toBe('2024-05-06T09:00:00.000Z');
    expect(next('cron(0 9 ? * 1 *)', '2024-05-03T09:00:00Z')).toBe('2024-05-05T09:00:00.000Z'); // Sunday
    expect(next('cron(0 9 ? * SAT,SUN *)', '2024-05-03T09:00:00Z')).toBe('2024-05-04T09:00:00.000Z');
    // Last Friday: 2024-05-31; then 2024-06-28.
    expect(series('cron(0 10 ? * 6L *)', '2024-05-01T00:00:00Z', 2).map((t) => t.slice(0, 10))).toEqual(['2024-05-31', '2024-06-28']);
    expect(next('cron(0 10 ? * FRIL *)', '2024-05-01T00:00:00Z')).toBe('2024-05-31T10:00:00.000Z');
    // First Monday of June 2024 is the 3rd (the 1st is a Saturday); third Tuesday of May is the 21st.
    expect(next('cron(0 10 ? * 2#1 *)', '2024-05-31T00:00:00Z')).toBe('2024-06-03T10:00:00.000Z');
    expect(next('cron(0 10 ? * TUE#3 *)', '2024-05-01T00:00:00Z')).toBe('2024-05-21T10:00:00.000Z');
    // A fifth Monday exists only in some months: April 2024 has none, July 2024 has the 29th.
    expect(next('cron(0 0 ? * MON#5 *)', '2024-05-01T00:00:00Z')).toBe('2024-07-29T00:00:00.000Z');
  });

  it('years: runs within its years, and never again after them', () => {
    expect(next('cron(0 0 1 1 ? 2030-2031)', '2024-05-01T00:00:00Z')).toBe('2030-01-01T00:00:00.000Z');
    expect(next('cron(0 0 1 1 ? 2030-2031)', '2031-01-01T00:00:00Z')).toBeUndefined();
    expect(next('cron(0 0 1 1 ? 2025)', '2025-01-01T00:00:00Z')).toBeUndefined();
    expect(next('cron(0 0 31 2 ? *)', '2024-01-01T00:00:00Z')).toBeUndefined(); // February never has a 31st
  });
});

describe('scheduleGridTime: EventBridge firings map onto the local grid', () => {
  it('floors a rate firing (relative to rule creation) to the epoch-based grid, and cron to the minute', () => {
    expect(scheduleGridTime('rate(5 minutes)', '2026-11-25T12:03:27Z')).toBe('2026-11-25T12:00:00.000Z');
    expect(scheduleGridTime('rate(5 minutes)', '2026-11-25T12:08:27Z')).toBe('2026-11-25T12:05:00.000Z');
    expect(scheduleGridTime('rate(1 hour)', '2026-11-25T12:59:59Z')).toBe('2026-11-25T12:00:00.000Z');
    expect(scheduleGridTime('cron(0 3 ? * MON-FRI *)', '2026-11-25T03:00:02Z')).toBe('2026-11-25T03:00:00.000Z');
  });
});
