/**
 * Durations in the configuration file are strings with a unit: `250ms`, `5s`, `1.5m`, `1h`, `2d`.
 * A bare number is rejected on purpose: `rpcTimeout: 5` could mean seconds or milliseconds.
 * (In code, settings carry their unit in their name instead: `rpcTimeoutMs: 5000`.)
 */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

export const DURATION_HINT = 'a duration with a unit, e.g. "500ms", "5s", "2m", "1h" or "1d"';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `'5s'` → 5000. Returns undefined for anything that is not a duration string. */
export function parseDuration(value: string): number | undefined {
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = UNIT_MS[match[2] as string] as number;
  return Math.round(amount * unit);
}

/** 5000 → `'5s'`, 1500 → `'1500ms'`: the shortest exact form, for messages and docs. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
    ['s', UNIT_MS.s],
  ] as const) {
    if (size !== undefined && ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
