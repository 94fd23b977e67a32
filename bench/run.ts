/**
 * `npm run bench`: starts its own MiniStack, checks for the keep-alive stall, runs each scenario
 * on fresh resources and writes bench/results/latest.json and latest.md. See bench/README.md.
 *
 * Options (environment): BENCH_ONLY=fire,rpc,... runs a subset; BENCH_QUICK=1 uses small counts
 * (for trying the harness; its figures are not comparable); BENCH_OUT=<dir> writes elsewhere;
 * BENCH_MODE=plain|aws|both (default both): straight to the emulator, through the latency proxy
 * (tools/latency-proxy: published AWS latencies per service), or each network scenario in both.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertNoKeepAliveStall, emulatorEnv, pinnedVersion, startEmulator } from '../tools/emulator';
import { RawClients } from './lib/aws';
import type { BenchContext, BenchMode } from './lib/context';
import { startProxyChild, type ProxyChild } from './lib/latency-proxy';
import { renderMarkdown, type BenchResults, type ScenarioResult } from './lib/report';

/** network: talks to AWS, so it runs in each mode; the others (in-process, build) run once. */
type Scenario = { id: string; title: string; network?: boolean; run: (ctx: BenchContext) => Promise<Omit<ScenarioResult, 'durationMs'>> };

/* eslint-disable @typescript-eslint/no-require-imports */
const SCENARIOS: Scenario[] = [
  { id: 'fire', network: true, title: 'Fire throughput', run: (ctx) => require('./scenarios/fire').fireScenario(ctx) },
  { id: 'rpc', network: true, title: 'RPC round trip', run: (ctx) => require('./scenarios/rpc').rpcScenario(ctx) },
  { id: 'events', network: true, title: 'Events end to end', run: (ctx) => require('./scenarios/events').eventsScenario(ctx) },
  { id: 'transports', title: 'Choosing an event transport', run: (ctx) => require('./scenarios/transports').transportsScenario(ctx) },
  { id: 'payloads', network: true, title: 'Payloads', run: (ctx) => require('./scenarios/payloads').payloadsScenario(ctx) },
  { id: 'drain', network: true, title: 'Worker drain', run: (ctx) => require('./scenarios/drain').drainScenario(ctx) },
  { id: 'lambda', title: 'Lambda handler overhead', run: (ctx) => require('./scenarios/lambda').lambdaScenario(ctx) },
  { id: 'workerstate', title: 'Worker state on Lambda', run: (ctx) => require('./scenarios/worker-state').workerStateScenario(ctx) },
  { id: 'coldstart', title: 'Cold start', run: (ctx) => require('./scenarios/coldstart').coldStartScenario(ctx) },
  { id: 'synth', title: 'Synth', run: (ctx) => require('./scenarios/synth').synthScenario(ctx) },
  { id: 'validation', title: 'Schema validation', run: (ctx) => require('./scenarios/validation').validationScenario(ctx) },
  { id: 'dashboard', title: 'Dashboard live view', run: (ctx) => require('./scenarios/dashboard').dashboardScenario(ctx) },
];
/* eslint-enable @typescript-eslint/no-require-imports */

function log(message: string): void {
  process.stdout.write(`[bench] ${message}\n`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
  const quick = process.env.BENCH_QUICK === '1';
  const outDir = process.env.BENCH_OUT ?? path.join(__dirname, 'results');
  const modeOption = process.env.BENCH_MODE ?? 'both';
  if (!['plain', 'aws', 'both'].includes(modeOption)) throw new Error(`BENCH_MODE must be plain, aws or both; got "${modeOption}"`);
  const modes: BenchMode[] = modeOption === 'both' ? ['plain', 'aws'] : [modeOption as BenchMode];
  log('Starting MiniStack...');
  const emulator = await startEmulator();
  const scenarios: ScenarioResult[] = [];
  const raws: RawClients[] = [];
  const proxies: ProxyChild[] = [];
  let stallPerCall = NaN;
  try {
    Object.assign(process.env, emulatorEnv(emulator.endpoint), { LIGHTBUS_LOG_LEVEL: 'warn' });
    // Without TCP_NODELAY on the emulator's sockets every call would wait ~44 ms and the figures
    // would measure that stall, not our code: refuse to run.
    const stall = await assertNoKeepAliveStall(emulator.endpoint);
    stallPerCall = stall.perCallMs;
    log(`Emulator ${emulator.endpoint}: no keep-alive stall (${stall.perCallMs} ms per SendMessage)`);
    const awsProxy = await startProxyChild(emulator.endpoint, 'aws');
    const zeroProxy = await startProxyChild(emulator.endpoint, 'zero');
    proxies.push(awsProxy, zeroProxy);
    log(`Latency proxy (AWS-like) ${awsProxy.endpoint}, recording pass-through ${zeroProxy.endpoint}; modes: ${modes.join(', ')}`);
    const contexts = new Map<BenchMode, BenchContext>();
    for (const mode of modes) {
      const endpoint = mode === 'aws' ? awsProxy.endpoint : emulator.endpoint;
      process.env.AWS_ENDPOINT_URL = endpoint;
      const raw = new RawClients();
      raws.push(raw);
      contexts.set(mode, { mode, endpoint, recorder: mode === 'aws' ? awsProxy : zeroProxy, raw, quick, log });
    }
    const runs: { scenario: Scenario; mode: BenchMode }[] = [];
    for (const scenario of SCENARIOS) {
      if (only && !only.includes(scenario.id)) continue;
      // Both modes of a scenario back to back, so they see the same load on the machine.
      for (const mode of scenario.network ? modes : [modes[0] as BenchMode]) runs.push({ scenario, mode });
    }
    for (const { scenario, mode } of runs) {
      const ctx = contexts.get(mode) as BenchContext;
      process.env.AWS_ENDPOINT_URL = ctx.endpoint;
      log(`Scenario ${scenario.id}: ${scenario.title}${scenario.network ? ` [${mode}]` : ''}`);
      const t0 = Date.now();
      try {
        const result = await scenario.run(ctx);
        scenarios.push({ ...result, ...(scenario.network ? { mode } : {}), durationMs: Date.now() - t0 });
        if (result.status !== 'ok') log(`  ${result.status}: ${result.reason ?? ''}`);
      } catch (error) {
        log(`  FAILED: ${(error as Error).stack ?? String(error)}`);
        scenarios.push({
          id: scenario.id,
          title: scenario.title,
          ...(scenario.network ? { mode } : {}),
          status: 'failed',
          reason: (error as Error).message.split('\n')[0] ?? 'error',
          figures: [],
          details: { error: (error as Error).stack ?? String(error) },
          notes: [],
          durationMs: Date.now() - t0,
        });
      }
    }
  } finally {
    for (const raw of raws) raw.destroy();
    for (const proxy of proxies) await proxy.stop();
    await emulator.stop();
  }
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}`, totalMemGb: Math.round(os.totalmem() / 2 ** 30) },
    emulator: { name: 'MiniStack', version: pinnedVersion(), stallCheckPerCallMs: stallPerCall },
    modes,
    scenarios,
    totalDurationMs: Date.now() - started,
  };
  fs.mkdirSync(outDir, { recursive: true });
  const base = quick || only ? 'partial' : 'latest';
  fs.writeFileSync(path.join(outDir, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = renderMarkdown(results);
  fs.writeFileSync(path.join(outDir, `${base}.md`), markdown);
  process.stdout.write(`\n${markdown.split('\n## ')[0]}\n`);
  log(`Wrote ${path.join(outDir, `${base}.json`)} and ${base}.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (scenarios.some((s) => s.status === 'failed')) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: Error) => {
    process.stderr.write(`[bench] FAILED: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
