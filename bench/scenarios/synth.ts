/** Scenario 7 — `cdk synth` of the example app (cdk.json → examples/cdk/app.ts), seconds. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchContext } from '../lib/context';
import { REPO_ROOT } from '../lib/child';
import { figure, type ScenarioResult } from '../lib/report';
import { now, round } from '../lib/stats';

export async function synthScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  for (const file of ['cdk.json', 'examples/cdk/app.ts', 'cdk/index.ts']) {
    if (!fs.existsSync(path.join(REPO_ROOT, file))) {
      return { id: 'synth', title: 'Synth', status: 'skipped', reason: `${file} does not exist yet (the CDK example is being built)`, figures: [], details: {}, notes: [] };
    }
  }
  const times: number[] = [];
  for (let i = 0; i < 2; i += 1) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cdk-out-'));
    const start = now();
    execFileSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', '-o', out], {
      cwd: REPO_ROOT,
      env: { ...process.env, LIGHTBUS_BUS_NAME: 'bench-synth', CDK_DISABLE_VERSION_CHECK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 180_000,
    });
    times.push(round((now() - start) / 1000, 2));
    fs.rmSync(out, { recursive: true, force: true });
  }
  ctx.log(`  cdk synth: ${times.join(' s, ')} s`);
  return {
    id: 'synth',
    title: 'Synth',
    status: 'ok',
    figures: [figure('cdk synth of the example app', Math.min(...times), 's', 'lower', undefined, undefined, 'Best of two runs; includes starting the CDK CLI, loading the app with tsx and bundling the worker with esbuild.')],
    details: { runsSeconds: times },
    notes: ['No baseline: there is no equivalent app without lightbus to compare with; the figure is kept to catch regressions.'],
  };
}
