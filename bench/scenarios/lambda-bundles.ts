/**
 * Scenario 5, as Lambda runs it: the worker bundle `LightbusService` ships (bundleWorker, minified,
 * keepNames) and the Powertools fixture bundled the same way, each timed in fresh Node processes on
 * the same 10-record SQS events, on this machine's Node and on Node 24 (Lambda's newest runtime)
 * when `.node24` holds one (tools/package/install-node24.sh). Fresh processes matter for the cost
 * of trace context: on Node 20 and 22 the first AsyncLocalStorage scope turns on async hooks for
 * every promise of the process, so a handler without trace context must not share a process with
 * one that has it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import type { BenchContext } from '../lib/context';
import { REPO_ROOT } from '../lib/child';
import { figure, type Figure } from '../lib/report';
import { round } from '../lib/stats';
import { bundlePowertools, TARGET } from './coldstart';
import { sqsEvent } from './lambda';
import { withTraceparents } from './tracing-cost';

const BUS_NAME = 'lambda-bench';
const MARK = '@@lambda ';
/** Events handled before timing: Node 20 needs thousands of records before the handler's code is optimised (500 events gave 6–7 µs against 4.5 µs warm). */
const WARM_UP_EVENTS = 1000;

/** One timed process: the best pass's CPU and wall µs per record. */
interface Sample {
  readonly cpu: number;
  readonly wall: number;
}

/** What one process runs: a bundle, on events, with an environment. */
interface Variant {
  readonly key: string;
  readonly file: string;
  readonly events: string;
  readonly env?: Record<string, string>;
}

/**
 * Loads the bundle, warms it ({@link WARM_UP_EVENTS}), then times `passes` passes over all events; the best
 * pass counts (CPU from process.cpuUsage: on a busy machine wall time mostly measures the others).
 */
function timeProcess(node: string, variant: Variant, records: number, passes: number): Sample {
  const script = [
    `const events=JSON.parse(require('node:fs').readFileSync(${JSON.stringify(variant.events)},'utf8'));`,
    "const context={functionName:'bench',awsRequestId:'req',getRemainingTimeInMillis:()=>300000};",
    `const {handler}=require(${JSON.stringify(variant.file)});`,
    '(async()=>{',
    "const once=async(e)=>{const out=await handler(e,context);if(out&&out.batchItemFailures&&out.batchItemFailures.length)throw new Error('failed records: '+JSON.stringify(out.batchItemFailures[0]));};",
    `for(let w=0;w<${WARM_UP_EVENTS};w++)await once(events[w%events.length]);`,
    'let cpu=Infinity,wall=Infinity;',
    `for(let p=0;p<${passes};p++){const c0=process.cpuUsage(),t0=process.hrtime.bigint();for(const e of events)await once(e);`,
    `const c=process.cpuUsage(c0);cpu=Math.min(cpu,(c.user+c.system)/${records});wall=Math.min(wall,Number(process.hrtime.bigint()-t0)/1e3/${records});}`,
    `process.stdout.write('\\n${MARK}'+JSON.stringify({cpu,wall})+'\\n');})().catch((e)=>{console.error(e);process.exit(1);});`,
  ].join('');
  const env = { ...process.env, NODE_OPTIONS: '', LIGHTBUS_BUS_NAME: BUS_NAME, ...variant.env };
  const out = execFileSync(node, ['-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 * 1024 * 1024 }).toString();
  const line = out.split('\n').find((l) => l.startsWith(MARK));
  if (line === undefined) throw new Error(`${variant.key} printed no result: ${out.slice(0, 500)}`);
  return JSON.parse(line.slice(MARK.length)) as Sample;
}

/** The Node binaries to run on: this one, and Node 24 when installed in the checkout. */
function nodes(): { label: string; bin: string }[] {
  const here = { label: `Node ${process.versions.node.split('.')[0]}`, bin: process.execPath };
  const node24 = path.join(REPO_ROOT, '.node24', 'node_modules', '.bin', 'node');
  if (!fs.existsSync(node24) || process.versions.node.startsWith('24.')) return [here];
  return [here, { label: 'Node 24', bin: node24 }];
}

export interface BundledHandlerCost {
  readonly figures: Figure[];
  readonly details: Record<string, unknown>;
  readonly notes: string[];
}

export function bundledHandlerCost(ctx: BenchContext): BundledHandlerCost {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { bundleWorker, optionalModulesLeftOut } = require('../../cdk/bundle') as typeof import('../../cdk/bundle');
  const esbuild = require('esbuild') as typeof import('esbuild');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const ours = path.join(bundleWorker(path.join(REPO_ROOT, 'bench', 'fixtures', 'lambda-bus.ts'), { minify: true, target: TARGET, leaveOut: optionalModulesLeftOut() }).directory, 'index.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lambda-'));
  const powertools = path.join(dir, 'powertools.js');
  bundlePowertools(esbuild, fs.readFileSync(path.join(REPO_ROOT, 'bench', 'fixtures', 'powertools-handler.ts'), 'utf8'), powertools);
  // As many records quick or not: fewer leave Node 20's optimiser behind (see WARM_UP_EVENTS).
  const records = 20_000;
  const queueArn = `arn:aws:sqs:us-east-1:000000000000:${BUS_NAME}-listen-bench-counter`;
  const plain: SQSEvent[] = Array.from({ length: records / 10 }, (_, i) => sqsEvent(queueArn, i * 10));
  const plainFile = path.join(dir, 'plain.json');
  const tracedFile = path.join(dir, 'traced.json');
  fs.writeFileSync(plainFile, JSON.stringify(plain));
  fs.writeFileSync(tracedFile, JSON.stringify(withTraceparents(plain)));
  const variants: Variant[] = [
    { key: 'powertools', file: powertools, events: plainFile },
    { key: 'lightbus', file: ours, events: plainFile },
    { key: 'tracedOn', file: ours, events: tracedFile },
    { key: 'tracedOff', file: ours, events: tracedFile, env: { LIGHTBUS_TRACE_CONTEXT: 'false' } },
  ];
  const rounds = ctx.quick ? 3 : 5;
  const passes = ctx.quick ? 4 : 6;
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  try {
    for (const node of nodes()) {
      const samples: Record<string, Sample[]> = Object.fromEntries(variants.map((v) => [v.key, []]));
      // Each round starts with the next variant: on a busy machine a fixed order gave one position a steady penalty.
      for (let r = 0; r < rounds; r += 1) {
        for (let k = 0; k < variants.length; k += 1) {
          const variant = variants[(r + k) % variants.length]!;
          samples[variant.key]!.push(timeProcess(node.bin, variant, records, passes));
        }
      }
      const best = (key: string): number => round(Math.min(...samples[key]!.map((s) => s.cpu)), 2);
      ctx.log(
        `  ${node.label}, bundles, CPU µs/record (best of ${rounds} processes): lightbus ${best('lightbus')}, Powertools ${best('powertools')}; ` +
          `traced records: trace context on ${best('tracedOn')}, off ${best('tracedOff')}`,
      );
      figures.push(
        figure(`worker bundle's handler, no-op listener, CPU per record (${node.label})`, best('lightbus'), 'µs/record', 'lower',
          { name: `Powertools BatchProcessor bundle, same job (${node.label})`, value: best('powertools') }, { text: '≤ 1.0× Powertools', ratio: 1.0 }),
        figure(`worker bundle, traced records, trace context on (${node.label})`, best('tracedOn'), 'µs/record', 'lower',
          { name: `the same bundle and records, LIGHTBUS_TRACE_CONTEXT=false (${node.label})`, value: best('tracedOff') }, { text: '≤ 1.05× trace context off', ratio: 1.05 },
          'What trace context adds per record, each variant in processes of its own. Issue #13 asks at most 5%.'),
      );
      details[node.label] = samples;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    figures,
    details: { bundledCpuMicrosPerRecord: details, records, rounds, passes },
    notes: [
      `Bundled: the worker bundle LightbusService ships (bundleWorker: esbuild, minified, keepNames, ${TARGET}) and the Powertools fixture bundled alike, each in fresh processes (${rounds} per variant, rotating order), ${records} records in 10-record events after ${WARM_UP_EVENTS} warm-up events, the best of ${passes} passes per process, CPU time (process.cpuUsage). Node 24 rows use .node24 (tools/package/install-node24.sh) when present.`,
    ],
  };
}
