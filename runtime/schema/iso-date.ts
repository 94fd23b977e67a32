/**
 * The one date form lightbus accepts on the wire: an RFC 3339 / ISO 8601 date-time with an
 * explicit offset, e.g. `2024-05-06T07:08:09.123Z` or `2024-05-06T09:08:09+02:00` (JSON Schema's
 * `date-time` format). `new Date(text)` accepts far more — `"1"` became 2001-01-01, and a string
 * without an offset is read in the worker's own time zone — so a caller could make the same
 * message mean different instants on different workers.
 */

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. `T`/`Z` may be lowercase (RFC 3339 §5.6 allows it);
 * the fraction has 1 to 9 digits, kept to the millisecond (a `Date`'s precision).
 */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** What {@link parseIsoDateTime} accepts, for error messages. */
export const ISO_DATE_TIME_RULE = 'an ISO 8601 date-time with an offset, e.g. "2024-05-06T07:08:09.000Z" or "2024-05-06T09:08:09+02:00"';

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Parses `text` as an ISO 8601 date-time with an offset; `undefined` for anything else, including
 * impossible dates (`2023-02-29`), out-of-range times, offsets beyond ±23:59 and leap seconds
 * (`:60`, which a `Date` cannot represent).
 */
export function parseIsoDateTime(text: string): Date | undefined {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, oh, om] = match as unknown as (string | undefined)[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (!zulu) {
    const offsetHours = Number(oh);
    const offsetMins = Number(om);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0;
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return new Date(date.getTime() - offsetMinutes * 60_000);
}
