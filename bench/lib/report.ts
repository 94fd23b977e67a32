/** The shape of bench/results/latest.json, and its rendering as a markdown table. */

export type Direction = 'higher' | 'lower';

export interface Figure {
  /** What was measured, e.g. "fire() — 32 producers". */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The baseline measured in the same run (absent for figures that are references only). */
  readonly baseline?: { readonly name: string; readonly value: number };
  /** value / baseline.value */
  readonly ratio?: number;
  /** Which way is better for this figure. */
  readonly better: Direction;
  /** The goal, as a ratio to the baseline or an absolute value, and whether this run met it. */
  readonly goal?: { readonly text: string; readonly met: boolean };
  readonly note?: string;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly status: 'ok' | 'skipped' | 'failed';
  readonly reason?: string;
  readonly figures: Figure[];
  /** Facts about the run worth keeping: resource sizes, settings, counts. */
  readonly details: Record<string, unknown>;
  readonly notes: string[];
  readonly durationMs: number;
}

export interface BenchResults {
  readonly generatedAt: string;
  readonly machine: Record<string, unknown>;
  readonly emulator: Record<string, unknown>;
  readonly scenarios: ScenarioResult[];
  readonly totalDurationMs: number;
}

export function figure(
  name: string,
  value: number,
  unit: string,
  better: Direction,
  baseline?: { name: string; value: number },
  goal?: { text: string; ratio?: number; absolute?: number },
  note?: string,
): Figure {
  const ratio = baseline && baseline.value > 0 ? Math.round((value / baseline.value) * 100) / 100 : undefined;
  let goalOut: Figure['goal'];
  if (goal) {
    let met: boolean;
    if (goal.ratio !== undefined) met = ratio !== undefined && (better === 'higher' ? ratio >= goal.ratio : ratio <= goal.ratio);
    else if (goal.absolute !== undefined) met = better === 'higher' ? value >= goal.absolute : value <= goal.absolute;
    else met = false;
    goalOut = { text: goal.text, met };
  }
  return {
    name,
    value,
    unit,
    better,
    ...(baseline ? { baseline } : {}),
    ...(ratio !== undefined ? { ratio } : {}),
    ...(goalOut ? { goal: goalOut } : {}),
    ...(note ? { note } : {}),
  };
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function renderMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  lines.push('# lightbus-aws benchmark results', '');
  lines.push(`Generated ${results.generatedAt} by \`npm run bench\` in ${(results.totalDurationMs / 1000).toFixed(0)} s.`);
  const m = results.machine;
  lines.push(`Machine: ${String(m.cpus)} × ${String(m.cpuModel)}, Node ${String(m.node)}; emulator: MiniStack ${String(results.emulator.version)} ` +
    `(keep-alive stall check: ${String(results.emulator.stallCheckPerCallMs)} ms/call).`, '');
  lines.push('Ratios are lightbus ÷ the baseline measured in the same run. For throughput (/s) higher is better; for latency, ' +
    'size and time lower is better. ✅ = goal met in this run, ❌ = not met.', '');
  lines.push('| # | Scenario | Figure | Value | Baseline (same run) | Ratio | Goal |');
  lines.push('|---|---|---|---:|---|---:|---|');
  results.scenarios.forEach((s, index) => {
    if (s.status !== 'ok') {
      lines.push(`| ${index + 1} | ${s.title} | **${s.status}**: ${s.reason ?? ''} | | | | |`);
      return;
    }
    for (const f of s.figures) {
      const base = f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value)} ${f.unit}` : '—';
      const ratio = f.ratio !== undefined ? `${f.ratio.toFixed(2)}×` : '';
      const goal = f.goal ? `${f.goal.met ? '✅' : '❌'} ${f.goal.text}` : '';
      lines.push(`| ${index + 1} | ${s.title} | ${f.name} | ${fmt(f.value)} ${f.unit} | ${base} | ${ratio} | ${goal} |`);
    }
  });
  lines.push('');
  for (const s of results.scenarios) {
    lines.push(`## ${s.title}`, '');
    if (s.status !== 'ok') lines.push(`**${s.status}**: ${s.reason ?? ''}`, '');
    for (const f of s.figures) if (f.note) lines.push(`- *${f.name}*: ${f.note}`);
    for (const note of s.notes) lines.push(`- ${note}`);
    const details = Object.entries(s.details);
    if (details.length) {
      lines.push('', '<details><summary>details</summary>', '', '```json', JSON.stringify(s.details, null, 2), '```', '', '</details>');
    }
    lines.push(`- scenario took ${(s.durationMs / 1000).toFixed(1)} s`, '');
  }
  return lines.join('\n');
}
