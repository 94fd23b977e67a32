/**
 * Scenario 6 — cold start: the worker Lambda's bundle (bundleWorker, what LightbusService ships)
 * against a Powertools-based handler bundling the same SDK clients: bundle size, and the time to
 * load the bundle in a fresh Node process (median of alternating runs).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchContext } from '../lib/context';
import { REPO_ROOT } from '../lib/child';
import { figure, type ScenarioResult } from '../lib/report';
import { round, summarise } from '../lib/stats';
import { lambdaPrerequisite } from './lambda';

const TARGET = 'node20';

function loadTimeMs(file: string): number {
  const script = `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});if(typeof m.handler!=='function')throw new Error('no handler');process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
  return Number(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_OPTIONS: '' } }).toString());
}

export async function coldStartScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const missing = lambdaPrerequisite() ?? (fs.existsSync(path.join(REPO_ROOT, 'cdk', 'bundle.ts')) ? undefined : 'cdk/bundle.ts does not exist yet');
  if (missing) return { id: 'coldstart', title: 'Cold start', status: 'skipped', reason: missing, figures: [], details: {}, notes: [] };
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { bundleWorker, optionalModulesLeftOut } = require('../../cdk/bundle') as typeof import('../../cdk/bundle');
  const esbuild = require('esbuild') as typeof import('esbuild');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // What LightbusService bundles by default: optional modules (ajv, yaml) left out.
  const ours = bundleWorker(path.join(REPO_ROOT, 'bench', 'fixtures', 'lambda-bus.ts'), { minify: true, target: TARGET, leaveOut: optionalModulesLeftOut() });
  const full = bundleWorker(path.join(REPO_ROOT, 'bench', 'fixtures', 'lambda-bus.ts'), { minify: true, target: TARGET });
  const oursFile = path.join(ours.directory, 'index.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-powertools-'));
  const ptFile = path.join(dir, 'index.js');
  esbuild.buildSync({
    entryPoints: [path.join(REPO_ROOT, 'bench', 'fixtures', 'powertools-handler.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: TARGET,
    outfile: ptFile,
    minify: true,
    keepNames: true,
    mainFields: ['module', 'main'],
    legalComments: 'none',
    logLevel: 'silent',
  });
  const runs = ctx.quick ? 5 : 15;
  const oursTimes: number[] = [];
  const ptTimes: number[] = [];
  loadTimeMs(oursFile);
  loadTimeMs(ptFile);
  for (let i = 0; i < runs; i += 1) {
    oursTimes.push(loadTimeMs(oursFile));
    ptTimes.push(loadTimeMs(ptFile));
  }
  const oursLoad = summarise(oursTimes);
  const ptLoad = summarise(ptTimes);
  const oursKb = round(fs.statSync(oursFile).size / 1024, 0);
  const ptKb = round(fs.statSync(ptFile).size / 1024, 0);
  ctx.log(`  bundle: lightbus ${oursKb} kB, Powertools ${ptKb} kB; load p50: lightbus ${oursLoad.p50} ms, Powertools ${ptLoad.p50} ms`);
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    id: 'coldstart',
    title: 'Cold start',
    status: 'ok',
    figures: [
      figure('worker Lambda bundle (minified)', oursKb, 'kB', 'lower', { name: 'Powertools handler bundle, same SDK clients', value: ptKb }, { text: '≤ 1.0×', ratio: 1.0 }),
      figure('load time in a fresh Node process, p50', oursLoad.p50, 'ms', 'lower', { name: 'Powertools handler', value: ptLoad.p50 }, { text: '≤ 1.0×', ratio: 1.0 }),
    ],
    details: {
      target: TARGET,
      runs,
      loadMs: { lightbus: oursLoad, powertools: ptLoad },
      bundleBytes: { lightbus: fs.statSync(oursFile).size, lightbusWithOptionalModules: full.sizeBytes },
    },
    notes: [
      `lightbus bundle as LightbusService makes it by default: ajv and yaml (remote JSON Schema validation, YAML config files) left out; with them it is ${round(full.sizeBytes / 1024, 0)} kB.`,
      'Both bundled by esbuild (minified, CommonJS, node20, SDK included as the emulator requires). Load time: require() of the bundle until `handler` exists, in a fresh `node` each time, alternating; Node start-up itself is excluded.',
    ],
  };
}
