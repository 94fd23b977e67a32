/**
 * The cost of trace context (issue #13: at most 5% on the Lambda handler's time per record and on
 * an RPC's p50), measured in the same run as alternating variants of the existing scenarios:
 * `absent` (no `@opentelemetry/api`: lightbus's own ids, carried on the wire, in its scope and in
 * log lines) against OpenTelemetry installed with a no-op provider (`noop`) and with every span
 * recorded to memory (`recording`). See bench/lib/tracing-mode.ts.
 */
import type { SQSEvent } from 'aws-lambda';
import { createBenchBus, type BenchContext } from '../lib/context';
import { figure, type Figure } from '../lib/report';
import { round, type LatencySummary } from '../lib/stats';
import { applyTracingMode, type TracingMode } from '../lib/tracing-mode';
import { startLightbusWorker } from '../lib/worker-child';
import { uniqueBusName } from '../lib/aws';

export interface TracingCost {
  readonly figures: Figure[];
  readonly details: Record<string, unknown>;
  readonly notes: string[];
}

const GOAL = { text: '≤ 1.05× without OpenTelemetry', ratio: 1.05 };

/** Mean of a mode's runs. */
function mean(values: readonly number[]): number {
  return round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length), 2);
}

/**
 * The Lambda handler's µs per record, each mode twice, alternating (`run` times one pass over the
 * events with whatever tracing is set up). The events carry a traceparent, as every lightbus
 * client's do, so each record continues a trace.
 */
export async function lambdaTracingCost(ctx: BenchContext, run: () => Promise<number>): Promise<TracingCost> {
  const modes: TracingMode[] = ['absent', 'noop', 'recording'];
  const runs: Record<TracingMode, number[]> = { absent: [], noop: [], recording: [] };
  for (let round_ = 0; round_ < 3; round_ += 1) {
    for (const mode of modes) {
      const undo = applyTracingMode(mode);
      try {
        runs[mode].push(await run());
      } finally {
        undo();
      }
    }
  }
  const best = (mode: TracingMode) => Math.min(...runs[mode]);
  ctx.log(`  tracing cost, µs/record (best of 3): absent ${best('absent')}, OTel no-op ${best('noop')}, OTel recording ${best('recording')} — runs ${JSON.stringify(runs)}`);
  const baseline = { name: 'same handler, @opentelemetry/api absent (ids and propagation only)', value: best('absent') };
  return {
    figures: [
      figure('createSqsHandler, traced records, OpenTelemetry no-op provider', best('noop'), 'µs/record', 'lower', baseline, GOAL),
      figure('createSqsHandler, traced records, OpenTelemetry recording to memory', best('recording'), 'µs/record', 'lower', baseline, undefined,
        'Every record\'s CONSUMER span created, ended and exported to an InMemorySpanExporter (SimpleSpanProcessor): the SDK\'s own cost, which the application chooses.'),
    ],
    details: { tracingMicrosPerRecord: runs },
    notes: [
      'Tracing cost with OpenTelemetry (in this process, sources under tsx): the same events with a traceparent in each detail, three setups alternating three times (absent / no-op provider / in-memory recording provider), best of three each. Trace context on against off is measured on the bundles, in processes of their own (above).',
    ],
  };
}

/**
 * RPC p50 at 1 in flight with the caller (this process) and the worker (`lightbus run --local`,
 * BENCH_TRACING) both in one tracing setup: absent and recording, alternating, twice each.
 */
export async function rpcTracingCost(
  ctx: BenchContext,
  calls: number,
  latency: (count: number, call: () => Promise<unknown>) => Promise<LatencySummary>,
): Promise<TracingCost> {
  const p50s: Record<'absent' | 'recording', number[]> = { absent: [], recording: [] };
  for (const mode of ['absent', 'recording', 'absent', 'recording'] as const) {
    const undo = applyTracingMode(mode);
    const busName = uniqueBusName(`rpctr${mode.slice(0, 3)}`);
    const worker = await startLightbusWorker(busName, [], { BENCH_TRACING: mode });
    const bus = createBenchBus(busName);
    try {
      await latency(10, () => bus.bench.echo({ n: 0 }));
      const summary = await latency(calls, () => bus.bench.echo({ n: 1 }));
      p50s[mode].push(summary.p50);
      ctx.log(`  tracing cost, RPC ${mode}: p50 ${summary.p50} ms, p99 ${summary.p99} ms`);
    } finally {
      await bus.close();
      await worker.stop();
      undo();
    }
  }
  const absent = mean(p50s.absent);
  const recording = mean(p50s.recording);
  return {
    figures: [
      figure('lightbus RPC p50, 1 in flight, OpenTelemetry recording (caller and worker)', recording, 'ms', 'lower',
        { name: 'same, @opentelemetry/api absent (ids and propagation only)', value: absent }, GOAL,
        'Mean of two alternating runs each; the p50 of a round trip is dominated by the emulator\'s 100 ms long-poll tick, so run-to-run noise is of the order of the goal itself.'),
    ],
    details: { tracingRpcP50Ms: p50s },
    notes: [`Tracing cost: ${calls} calls at 1 in flight per run, caller and worker in the same setup (absent / in-memory recording provider), alternating twice.`],
  };
}

/** Marks each event's detail with a traceparent of a trace of its own (what a lightbus client sends). */
export function withTraceparents(events: readonly SQSEvent[]): SQSEvent[] {
  let n = 0;
  return events.map((event) => ({
    Records: event.Records.map((record) => {
      const envelope = JSON.parse(record.body) as { detail: Record<string, unknown> };
      n += 1;
      const hex = n.toString(16).padStart(16, '0');
      envelope.detail.traceparent = `00-${hex}${hex.split('').reverse().join('')}-${hex}-01`;
      return { ...record, body: JSON.stringify(envelope) };
    }),
  }));
}
