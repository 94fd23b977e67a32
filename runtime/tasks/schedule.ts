import { InvalidDefinitionError } from '../errors';
import { ScheduleExpressionProblem } from '../errors/schedule';

/**
 * Schedule expressions of scheduled tasks, in EventBridge's syntax (all times UTC):
 *
 * - `rate(<n> <unit>)`: every n units; unit `minute`/`minutes`, `hour`/`hours`, `day`/`days`
 *   (singular exactly when n is 1). lightbus also accepts `second`/`seconds`, which only the local
 *   worker can run: EventBridge rules fire at most once a minute, so `LightbusService` rejects them.
 * - `cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)`: six fields, each a
 *   value, a list (`,`), a range (`-`), `*`, or a step (`*\/5`, `10/15`, `1-20/2`). Months may be
 *   `JAN`–`DEC`, days of the week `SUN`–`SAT` (1 = Sunday, 7 = Saturday). One of day-of-month and
 *   day-of-week must be `?` (the other is then used). Day-of-month also takes `L` (last day),
 *   `<n>W` (the weekday nearest day n, within the month) and `LW` (last weekday); day-of-week takes
 *   `<d>L` (last such weekday of the month) and `<d>#<n>` (nth such weekday).
 */

export type ScheduleExpression = RateSchedule | CronSchedule;

export interface RateSchedule {
  readonly kind: 'rate';
  /** Canonical form, as passed to EventBridge: `rate(5 minutes)`. */
  readonly expression: string;
  readonly intervalSeconds: number;
}

export interface CronSchedule {
  readonly kind: 'cron';
  /** Canonical form (single spaces, upper case): `cron(0 12 ? * MON-FRI *)`. */
  readonly expression: string;
  readonly fields: CronFields;
}

export type DayOfMonthRule =
  | { readonly kind: 'any' }
  | { readonly kind: 'days'; readonly days: ReadonlySet<number> }
  | { readonly kind: 'last' }
  | { readonly kind: 'lastWeekday' }
  | { readonly kind: 'nearestWeekday'; readonly day: number };

export type DayOfWeekRule =
  | { readonly kind: 'any' }
  | { readonly kind: 'weekdays'; readonly weekdays: ReadonlySet<number> }
  | { readonly kind: 'last'; readonly weekday: number }
  | { readonly kind: 'nth'; readonly weekday: number; readonly n: number };

export interface CronFields {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly dayOfMonth: DayOfMonthRule;
  readonly months: ReadonlySet<number>;
  /** Weekdays as EventBridge numbers them: 1 = Sunday ... 7 = Saturday. */
  readonly dayOfWeek: DayOfWeekRule;
  readonly years: ReadonlySet<number>;
}

/** The units `every()` takes. */
export interface EveryInterval {
  readonly seconds?: number;
  readonly minutes?: number;
  readonly hours?: number;
  readonly days?: number;
}

const UNIT_SECONDS = { second: 1, minute: 60, hour: 3600, day: 86_400 } as const;
type RateUnit = keyof typeof UNIT_SECONDS;

const RATE_SYNTAX = 'rate(<n> <unit>) with a positive whole n and unit minute(s), hour(s) or day(s) (second(s) locally only), singular when n is 1';
const CRON_SYNTAX =
  'cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>) in UTC, one of day-of-month and day-of-week being "?"';

export const MIN_YEAR = 1970;
export const MAX_YEAR = 2199;

/**
 * Parses and validates a schedule expression. `where` names the definition in errors
 * (e.g. `schedule(nightlyReport)`).
 */
export function parseScheduleExpression(expression: unknown, where: string): ScheduleExpression {
  if (typeof expression !== 'string') {
    throw new InvalidDefinitionError(
      `${where}: the schedule expression must be a string — ${CRON_SYNTAX}, or ${RATE_SYNTAX}; got ${describe(expression)}.`,
    );
  }
  const trimmed = expression.trim();
  try {
    if (/^rate\(/i.test(trimmed)) return parseRate(trimmed);
    if (/^cron\(/i.test(trimmed)) return parseCron(trimmed);
    throw new ScheduleExpressionProblem('it must start with "cron(" or "rate("');
  } catch (error) {
    if (!(error instanceof ScheduleExpressionProblem)) throw error;
    const syntax = /^rate\(/i.test(trimmed) ? RATE_SYNTAX : /^cron\(/i.test(trimmed) ? CRON_SYNTAX : `${CRON_SYNTAX}, or ${RATE_SYNTAX}`;
    throw new InvalidDefinitionError(`${where}: invalid schedule expression ${JSON.stringify(expression)}: ${error.message}. Expected ${syntax}.`, {
      expression,
    });
  }
}

/** `{ minutes: 5 }` → 300, with every value checked. */
export function everyToSeconds(interval: unknown, where: string): number {
  const allowed = ['seconds', 'minutes', 'hours', 'days'] as const;
  if (interval === null || typeof interval !== 'object' || Array.isArray(interval)) {
    throw new InvalidDefinitionError(`${where}: the interval must be an object such as { minutes: 5 } (keys ${allowed.join(', ')}); got ${describe(interval)}.`);
  }
  const record = interval as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !(allowed as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new InvalidDefinitionError(`${where}: unknown interval key(s) ${unknown.map((k) => `"${k}"`).join(', ')}; allowed: ${allowed.join(', ')}.`);
  }
  let total = 0;
  for (const key of allowed) {
    const value = record[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new InvalidDefinitionError(`${where}: interval ${key} must be a whole number of 0 or more; got ${describe(value)}.`);
    }
    total += value * UNIT_SECONDS[key.slice(0, -1) as RateUnit];
  }
  if (total <= 0) {
    throw new InvalidDefinitionError(`${where}: the interval must be longer than zero (e.g. { seconds: 30 } or { hours: 1 }); got ${JSON.stringify(interval)}.`);
  }
  if (!Number.isSafeInteger(total)) throw new InvalidDefinitionError(`${where}: the interval is too long (${total} seconds).`);
  return total;
}

/** An interval as a rate expression in the largest unit that divides it: 7200 → `rate(2 hours)`. */
export function rateExpression(intervalSeconds: number): string {
  const unit: RateUnit =
    intervalSeconds % UNIT_SECONDS.day === 0
      ? 'day'
      : intervalSeconds % UNIT_SECONDS.hour === 0
        ? 'hour'
        : intervalSeconds % UNIT_SECONDS.minute === 0
          ? 'minute'
          : 'second';
  const n = intervalSeconds / UNIT_SECONDS[unit];
  return `rate(${n} ${unit}${n === 1 ? '' : 's'})`;
}

/** True when EventBridge can run the schedule (rates of whole minutes; every cron expression). */
export function runsOnEventBridge(schedule: ScheduleExpression): boolean {
  return schedule.kind === 'cron' || schedule.intervalSeconds % 60 === 0;
}

function parseRate(text: string): RateSchedule {
  const match = /^rate\(\s*(\S+)\s+(\S+)\s*\)$/i.exec(text);
  if (!match) throw new ScheduleExpressionProblem('it must be a number and a unit in parentheses');
  const [, rawValue = '', rawUnit = ''] = match;
  if (!/^[0-9]+$/.test(rawValue) || Number(rawValue) < 1) throw new ScheduleExpressionProblem(`"${rawValue}" is not a positive whole number`);
  const value = Number(rawValue);
  const unit = rawUnit.toLowerCase();
  const singular = (unit.endsWith('s') ? unit.slice(0, -1) : unit) as RateUnit;
  if (!(singular in UNIT_SECONDS)) throw new ScheduleExpressionProblem(`unknown unit "${rawUnit}"`);
  const wanted = value === 1 ? singular : `${singular}s`;
  if (unit !== wanted) throw new ScheduleExpressionProblem(`write "${value} ${wanted}" (EventBridge wants the singular for 1 and the plural otherwise)`);
  return { kind: 'rate', expression: `rate(${value} ${wanted})`, intervalSeconds: value * UNIT_SECONDS[singular] };
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS = {
  minutes: { name: 'minutes', min: 0, max: 59 },
  hours: { name: 'hours', min: 0, max: 23 },
  dayOfMonth: { name: 'day-of-month', min: 1, max: 31 },
  month: { name: 'month', min: 1, max: 12, names: MONTHS },
  dayOfWeek: { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS },
  year: { name: 'year', min: MIN_YEAR, max: MAX_YEAR },
} as const satisfies Record<string, FieldSpec>;

function parseCron(text: string): CronSchedule {
  const match = /^cron\((.*)\)$/i.exec(text);
  if (!match) throw new ScheduleExpressionProblem('it must end with ")"');
  const parts = (match[1] ?? '').trim().toUpperCase().split(/\s+/).filter(Boolean);
  if (parts.length !== 6) {
    throw new ScheduleExpressionProblem(
      `it has ${parts.length} field(s); EventBridge cron expressions have exactly 6 (no seconds field; the year is required, "*" for any)`,
    );
  }
  const [minutes, hours, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleExpressionProblem(
      dom === '?'
        ? 'day-of-month and day-of-week are both "?"; give one of them (e.g. "*" for day-of-month)'
        : `day-of-month ("${dom}") and day-of-week ("${dow}") cannot both be given; make one of them "?"`,
    );
  }
  const fields: CronFields = {
    minutes: parseSet(minutes, FIELDS.minutes),
    hours: parseSet(hours, FIELDS.hours),
    dayOfMonth: parseDayOfMonth(dom),
    months: parseSet(month, FIELDS.month),
    dayOfWeek: parseDayOfWeek(dow),
    years: parseSet(year, FIELDS.year),
  };
  return { kind: 'cron', expression: `cron(${parts.join(' ')})`, fields };
}

function parseDayOfMonth(text: string): DayOfMonthRule {
  if (text === '?') return { kind: 'any' };
  if (text === 'L') return { kind: 'last' };
  if (text === 'LW') return { kind: 'lastWeekday' };
  const nearest = /^([0-9]+)W$/.exec(text);
  if (nearest) return { kind: 'nearestWeekday', day: parseValue(nearest[1] ?? '', FIELDS.dayOfMonth) };
  if (/[LW#]/.test(text)) {
    throw new ScheduleExpressionProblem(`day-of-month "${text}": "L", "LW" and "<n>W" must stand alone in the field`);
  }
  return { kind: 'days', days: parseSet(text, FIELDS.dayOfMonth) };
}

function parseDayOfWeek(text: string): DayOfWeekRule {
  if (text === '?') return { kind: 'any' };
  const last = /^([0-9A-Z]+)L$/.exec(text);
  if (last) return { kind: 'last', weekday: parseValue(last[1] ?? '', FIELDS.dayOfWeek) };
  const nth = /^([0-9A-Z]+)#([0-9]+)$/.exec(text);
  if (nth) {
    const n = Number(nth[2]);
    if (!(n >= 1 && n <= 5)) throw new ScheduleExpressionProblem(`day-of-week "${text}": the n of "<day>#<n>" must be 1 to 5`);
    return { kind: 'nth', weekday: parseValue(nth[1] ?? '', FIELDS.dayOfWeek), n };
  }
  if (text === 'L') throw new ScheduleExpressionProblem('day-of-week "L": give the weekday, e.g. "6L" or "FRIL" for the last Friday of the month');
  if (/[L#W]/.test(text) && !WEEKDAYS.some((d) => text.includes(d))) {
    throw new ScheduleExpressionProblem(`day-of-week "${text}": "<day>L" and "<day>#<n>" must stand alone in the field`);
  }
  return { kind: 'weekdays', weekdays: parseSet(text, FIELDS.dayOfWeek) };
}

/** A field of values, lists, ranges, `*` and steps. */
function parseSet(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new ScheduleExpressionProblem(`${spec.name} "${text}": empty list item`);
    if (item === '?') throw new ScheduleExpressionProblem(`${spec.name}: "?" is allowed only in day-of-month or day-of-week`);
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined) throw new ScheduleExpressionProblem(`${spec.name} "${item}": more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^[0-9]+$/.test(stepText) || Number(stepText) < 1) {
        throw new ScheduleExpressionProblem(`${spec.name} "${item}": the step after "/" must be a positive whole number`);
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [a = '', b = '', more] = range.split('-');
      if (more !== undefined) throw new ScheduleExpressionProblem(`${spec.name} "${item}": a range has one "-"`);
      from = parseValue(a, spec);
      to = parseValue(b, spec);
      if (from > to) throw new ScheduleExpressionProblem(`${spec.name} "${item}": the range runs backwards (${from} > ${to})`);
    } else {
      from = parseValue(range, spec);
      // `10/15` runs from 10 to the end of the field; a lone value is just itself.
      to = stepText !== undefined ? spec.max : from;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function parseValue(text: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(text) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^[0-9]+$/.test(text)) {
    const names = spec.names ? ` or ${spec.names[0]}–${spec.names[spec.names.length - 1]}` : '';
    throw new ScheduleExpressionProblem(`${spec.name}: "${text}" is not a value from ${spec.min} to ${spec.max}${names}`);
  }
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new ScheduleExpressionProblem(`${spec.name}: ${value} is out of range (${spec.min}–${spec.max})`);
  }
  return value;
}

// ---- Next fire time ----------------------------------------------------------------------------

const MINUTE_MS = 60_000;

/**
 * The first time strictly after `after` at which a cron schedule fires (UTC, whole minutes), or
 * undefined if it never fires again (its years are over).
 */
export function nextCronTime(fields: CronFields, after: Date): Date | undefined {
  // Start at the next whole minute.
  let t = new Date(Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
  // Each pass either matches or jumps to the start of the next year, month, day, hour or minute;
  // the bound is generous (years × months × days × hours × minutes would be far more).
  for (let guard = 0; guard < 100_000; guard++) {
    const year = t.getUTCFullYear();
    if (year > MAX_YEAR) return undefined;
    if (!fields.years.has(year)) {
      t = new Date(Date.UTC(year + 1, 0, 1));
      continue;
    }
    const month = t.getUTCMonth() + 1;
    if (!fields.months.has(month)) {
      t = new Date(Date.UTC(year, month, 1));
      continue;
    }
    const day = t.getUTCDate();
    if (!dayMatches(fields, year, month, day)) {
      t = new Date(Date.UTC(year, month - 1, day + 1));
      continue;
    }
    const hour = t.getUTCHours();
    if (!fields.hours.has(hour)) {
      t = new Date(Date.UTC(year, month - 1, day, hour + 1));
      continue;
    }
    if (!fields.minutes.has(t.getUTCMinutes())) {
      t = new Date(t.getTime() + MINUTE_MS);
      continue;
    }
    return t;
  }
  return undefined;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 = Sunday ... 7 = Saturday. */
function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function dayMatches(fields: CronFields, year: number, month: number, day: number): boolean {
  const last = daysInMonth(year, month);
  const dom = fields.dayOfMonth;
  switch (dom.kind) {
    case 'days':
      return dom.days.has(day);
    case 'last':
      return day === last;
    case 'lastWeekday':
      return day === nearestWeekday(year, month, last);
    case 'nearestWeekday':
      return day === nearestWeekday(year, month, Math.min(dom.day, last));
    case 'any':
      break;
  }
  const dow = fields.dayOfWeek;
  const wd = weekday(year, month, day);
  switch (dow.kind) {
    case 'weekdays':
      return dow.weekdays.has(wd);
    case 'last':
      return wd === dow.weekday && day + 7 > last;
    case 'nth':
      return wd === dow.weekday && Math.ceil(day / 7) === dow.n;
    case 'any':
      return true;
  }
}

/** The Monday–Friday day nearest `day`, never leaving the month. */
function nearestWeekday(year: number, month: number, day: number): number {
  const wd = weekday(year, month, day);
  const last = daysInMonth(year, month);
  if (wd === 7) return day === 1 ? 3 : day - 1; // Saturday: Friday before, or Monday after the 1st
  if (wd === 1) return day === last ? day - 2 : day + 1; // Sunday: Monday after, or Friday before the last
  return day;
}

/**
 * The first time strictly after `after` at which a schedule fires. Rates fire on a grid counted
 * from the Unix epoch (every 5 minutes → :00, :05, ...), so every process computes the same times.
 */
export function nextFireTime(schedule: ScheduleExpression, after: Date): Date | undefined {
  if (schedule.kind === 'cron') return nextCronTime(schedule.fields, after);
  const intervalMs = schedule.intervalSeconds * 1000;
  return new Date(Math.floor(after.getTime() / intervalMs) * intervalMs + intervalMs);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
