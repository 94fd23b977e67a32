/** The fault table: one row per scenario, a column per thing that must never happen. */
import type { Tally } from './context';

export interface Row {
  readonly name: string;
  readonly tally: Tally | undefined;
  /** Why the scenario could not finish (its counts are then unknown: the suite fails). */
  readonly error?: string;
  readonly seconds: number;
}

const COLUMNS: readonly (readonly [keyof Omit<Tally, 'notes'>, string])[] = [
  ['lost', 'lost'],
  ['runTwice', 'run twice'],
  ['vanished', 'vanished'],
  ['crashed', 'crashed'],
  ['late', 'late past deadline'],
];

/**
 * Not measured yet: an endpoint frozen with SIGSTOP (client deadlines while the endpoint hangs).
 * Its scenario is someone else's (issue #10); its row is kept here so the table shows the gap.
 */
export const PENDING_ROWS: readonly string[] = ['endpoint frozen with SIGSTOP (client deadlines) — pending'];

export function renderTable(rows: readonly Row[]): string {
  const nameWidth = Math.max(...[...rows.map((r) => r.name), ...PENDING_ROWS, 'TOTAL'].map((n) => n.length));
  const widths = COLUMNS.map(([, title]) => Math.max(title.length, 4));
  const line = (name: string, cells: readonly string[], tail = '') =>
    `${name.padEnd(nameWidth)} | ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |${tail}`;
  const out = [line('scenario', COLUMNS.map(([, t]) => t), ' time'), '-'.repeat(nameWidth + widths.reduce((a, w) => a + w + 3, 0) + 8)];
  const totals = COLUMNS.map(() => 0);
  for (const row of rows) {
    const cells = COLUMNS.map(([key], i) => {
      if (!row.tally) return 'ERR';
      totals[i] = totals[i]! + row.tally[key];
      return String(row.tally[key]);
    });
    out.push(line(row.name, cells, ` ${row.seconds.toFixed(0)}s`));
  }
  for (const pending of PENDING_ROWS) out.push(line(pending, COLUMNS.map(() => '—')));
  out.push(line('TOTAL', totals.map(String)));
  out.push('');
  for (const row of rows) {
    for (const note of row.tally?.notes ?? []) out.push(`  ${row.name}: ${note}`);
    if (row.error) out.push(`  ${row.name}: ERROR ${row.error}`);
  }
  return out.join('\n');
}

/** True when every count of every row is 0 and every scenario finished. */
export function allZero(rows: readonly Row[]): boolean {
  return rows.every((r) => r.tally !== undefined && r.error === undefined && COLUMNS.every(([key]) => r.tally![key] === 0));
}
