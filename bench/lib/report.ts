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
  /** plain (straight to the emulator) or aws (through the latency proxy); absent for scenarios that make no AWS call. */
  readonly mode?: 'plain' | 'aws';
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
  readonly modes?: readonly string[];
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
  if (results.modes?.length) {
    lines.push(`Modes: ${results.modes.join(', ')}. **Plain**: straight to the emulator (~1 ms a call). **AWS-like**: through tools/latency-proxy, ` +
      'which delays each request by a seeded log-normal draw with published per-service p50/p99 (bench/README.md, "AWS-like mode"). ' +
      'Scenarios that make no AWS call run once (plain columns).', '');
  }
  lines.push('Ratios are lightbus ÷ the baseline measured in the same run. For throughput (/s) higher is better; for latency, ' +
    'size and time lower is better. ✅ = goal met in this run, ❌ = not met.', '');
  // One row per figure; a scenario run in both modes shows each figure's plain and AWS-like
  // values side by side (matched by figure and baseline name).
  const ids = [...new Set(results.scenarios.map((s) => s.id))];
  const cell = (f: Figure | undefined) =>
    f ? [`${fmt(f.value)} ${f.unit}`, f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value)} ${f.unit}` : '—', f.ratio !== undefined ? `${f.ratio.toFixed(2)}×` : ''] : ['', '', ''];
  const goalText = (f: Figure | undefined) => (f?.goal ? `${f.goal.met ? '✅' : '❌'} ${f.goal.text}` : '');
  lines.push('| # | Scenario | Figure | Plain: value | Plain: baseline (same run) | Plain: ratio | AWS-like: value | AWS-like: baseline (same run) | AWS-like: ratio | Goal: plain / AWS-like |');
  lines.push('|---|---|---|---:|---|---:|---:|---|---:|---|');
  ids.forEach((id, index) => {
    const runs = results.scenarios.filter((s) => s.id === id);
    const title = runs[0]?.title ?? id;
    for (const s of runs) {
      if (s.status !== 'ok') lines.push(`| ${index + 1} | ${title} | **${s.mode ?? ''} ${s.status}**: ${s.reason ?? ''} | | | | | | | |`);
    }
    const plain = runs.find((s) => s.status === 'ok' && s.mode !== 'aws');
    const aws = runs.find((s) => s.status === 'ok' && s.mode === 'aws');
    const key = (f: Figure) => `${f.name}|${f.baseline?.name ?? ''}`;
    const keys = [...new Set([...(plain?.figures ?? []), ...(aws?.figures ?? [])].map(key))];
    for (const k of keys) {
      const p = plain?.figures.find((f) => key(f) === k);
      const a = aws?.figures.find((f) => key(f) === k);
      const name = (p ?? a)?.name ?? '';
      const goals = [goalText(p), goalText(a)].filter(Boolean);
      const goal = p?.goal && a?.goal && p.goal.text === a.goal.text ? `${p.goal.met ? '✅' : '❌'} / ${a.goal.met ? '✅' : '❌'} ${a.goal.text}` : goals.join(' / ');
      lines.push(`| ${index + 1} | ${title} | ${name} | ${[...cell(p), ...cell(a)].join(' | ')} | ${goal} |`);
    }
  });
  lines.push('');
  for (const s of results.scenarios) {
    lines.push(`## ${s.title}${s.mode ? (s.mode === 'aws' ? ' — AWS-like' : ' — plain') : ''}`, '');
    if (s.status !== 'ok') lines.push(`**${s.status}**: ${s.reason ?? ''}`, '');
    for (const f of s.figures) if (f.note) lines.push(`- *${f.name}*: ${f.note}`);
    for (const note of s.notes) lines.push(note === '' || note.startsWith('|') ? note : `- ${note}`);
    const details = Object.entries(s.details);
    if (details.length) {
      lines.push('', '<details><summary>details</summary>', '', '```json', JSON.stringify(s.details, null, 2), '```', '', '</details>');
    }
    lines.push(`- scenario took ${(s.durationMs / 1000).toFixed(1)} s`, '');
  }
  return lines.join('\n');
}
