/** Includes bench/validation.ts (the schema-validation micro-benchmark) when it exists. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchContext } from '../lib/context';
import { REPO_ROOT } from '../lib/child';
import type { ScenarioResult } from '../lib/report';

export async function validationScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const file = path.join(REPO_ROOT, 'bench', 'validation.ts');
  if (!fs.existsSync(file)) {
    return { id: 'validation', title: 'Schema validation', status: 'skipped', reason: 'bench/validation.ts does not exist yet', figures: [], details: {}, notes: [] };
  }
  const output = execFileSync(process.execPath, ['-r', 'tsx/cjs', file], { cwd: REPO_ROOT, env: process.env, timeout: 300_000 }).toString();
  ctx.log(`  ${output.trim().split('\n').slice(-5).join('\n  ')}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(output.trim().split('\n').pop() ?? '');
  } catch {
    parsed = undefined;
  }
  return {
    id: 'validation',
    title: 'Schema validation',
    status: 'ok',
    figures: [],
    details: parsed !== undefined ? { result: parsed } : { output: output.trim().split('\n') },
    notes: ['Output of bench/validation.ts (its own micro-benchmark), run as a separate process.'],
  };
}
