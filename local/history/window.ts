import { parseDuration } from '../../runtime/config';
import { ReplayRefusedError } from './errors';

/** A time window of the bus's history, `from` inclusive, `to` exclusive. */
export interface HistoryWindow {
  readonly from: Date;
  readonly to: Date;
}

/**
 * Reads a point in time: an ISO 8601 date-time (`2026-12-01T10:00:00Z`), epoch milliseconds, `now`,
 * or a duration ago (`30m`, `2h`, `1d`... as in `--since 2h`).
 */
export function parseTimePoint(flag: string, value: string, now: number): Date {
  const text = value.trim();
  if (text === 'now') return new Date(now);
  if (/^\d{12,}$/.test(text)) return new Date(Number(text));
  const ago = /^\d+(\.\d+)?d$/.test(text) ? Number(text.slice(0, -1)) * 86_400_000 : parseDuration(text);
  if (ago !== undefined && ago > 0) return new Date(now - ago);
  const parsed = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(parsed)) return new Date(parsed);
  throw new ReplayRefusedError(
    `${flag}: "${value}" is not a time; give an ISO 8601 date-time (2026-12-01T10:00:00Z), epoch milliseconds, "now", or a duration ago (30m, 2h, 1d).`,
  );
}

/** Checks a window against the clock: not reversed, not empty, not in the future. */
export function checkWindow(window: HistoryWindow, now: number): HistoryWindow {
  const { from, to } = window;
  if (from.getTime() > to.getTime()) {
    throw new ReplayRefusedError(`The window is reversed: --from ${from.toISOString()} is after --to ${to.toISOString()}.`);
  }
  if (from.getTime() === to.getTime()) {
    throw new ReplayRefusedError(`The window is empty: --from and --to are both ${from.toISOString()}.`);
  }
  if (from.getTime() >= now) {
    throw new ReplayRefusedError(`The window starts in the future (--from ${from.toISOString()}); there is no history there yet.`);
  }
  // EventBridge refuses an end time in the future; up to now is what was meant.
  return to.getTime() > now ? { from, to: new Date(now) } : window;
}
