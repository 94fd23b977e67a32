/**
 * Scenario 5 — Lambda handler overhead, in process: our SQS handler (createSqsHandler, the one
 * LightbusService bundles) against the same job built on Powertools' BatchProcessor, on 10-record
 * SQS events carrying EventBridge deliveries to a no-op listener. No network: a listener's
 * records need no AWS call.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Context, SQSEvent } from 'aws-lambda';
import type { BenchContext } from '../lib/context';
import { REPO_ROOT } from '../lib/child';
import { figure, type ScenarioResult } from '../lib/report';
import { now, round } from '../lib/stats';
import { PING_NOTE } from '../fixtures/bench-api';
import { bundledHandlerCost } from './lambda-bundles';
import { lambdaTracingCost, withTraceparents } from './tracing-cost';

export function lambdaPrerequisite(): string | undefined {
  for (const file of ['handlers/index.ts', 'handlers/sqs-handler.ts']) {
    if (!fs.existsSync(path.join(REPO_ROOT, file))) return `${file} does not exist yet (the Lambda handler is being built)`;
  }
  return undefined;
}

export function sqsEvent(queueArn: string, first: number): SQSEvent {
  return {
    Records: Array.from({ length: 10 }, (_, i) => {
      const n = first + i;
      const detail = { v: 1, kind: 'lightbus.event', id: `id-${n}`, api: 'bench', event: 'ping', parameters: { n, note: PING_NOTE }, firedAt: new Date().toISOString(), sender: { service: 'bench', process: 'bench-1' } };
      const body = JSON.stringify({ version: '0', id: `eb-${n}`, 'detail-type': 'bench.ping', source: 'lightbus.bench', account: '000000000000', time: new Date().toISOString(), region: 'us-east-1', resources: [], detail });
      return {
        messageId: `m-${n}`,
        receiptHandle: `r-${n}`,
        body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'x', ApproximateFirstReceiveTimestamp: String(Date.now()) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: 'us-east-1',
      };
    }),
  };
}

export async function lambdaScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const missing = lambdaPrerequisite();
  if (missing) return { id: 'lambda', title: 'Lambda handler overhead', status: 'skipped', reason: missing, figures: [], details: {}, notes: [] };
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createSqsHandler } = require('../../handlers') as typeof import('../../handlers');
  const { bus } = require('../fixtures/lambda-bus') as typeof import('../fixtures/lambda-bus');
  const powertools = require('../fixtures/powertools-handler') as typeof import('../fixtures/powertools-handler');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const ours = createSqsHandler(bus);
  const queueArn = `arn:aws:sqs:us-east-1:000000000000:${bus.settings.busName}-listen-bench-counter`;
  const records = ctx.quick ? 5000 : 20_000;
  const events = Array.from({ length: records / 10 }, (_, i) => sqsEvent(queueArn, i * 10));
  const context = { functionName: 'bench', awsRequestId: 'req', getRemainingTimeInMillis: () => 300_000 } as unknown as Context;

  const run = async (handler: (e: SQSEvent, c: Context) => Promise<unknown>, batch: readonly SQSEvent[] = events): Promise<number> => {
    for (const e of batch.slice(0, 200)) await handler(e, context); // warm-up
    const start = now();
    for (const e of batch) {
      const out = (await handler(e, context)) as { batchItemFailures?: unknown[] };
      if (out.batchItemFailures?.length) throw new Error(`handler reported failures: ${JSON.stringify(out.batchItemFailures[0])}`);
    }
    return round(((now() - start) * 1000) / records, 2);
  };
  // Alternate, twice each, and keep the best: JIT and GC noise hit both alike.
  const oursRuns = [await run(ours)];
  const ptRuns = [await run(powertools.handler)];
  oursRuns.push(await run(ours));
  ptRuns.push(await run(powertools.handler));
  const lightbus = Math.min(...oursRuns);
  const baseline = Math.min(...ptRuns);
  ctx.log(`  lightbus handler ${lightbus} µs/record; Powertools BatchProcessor ${baseline} µs/record`);
  // The cost of trace context: the same handler on traced records, with and without OpenTelemetry.
  const traced = withTraceparents(events);
  const tracing = await lambdaTracingCost(ctx, () => run(ours, traced));
  const bundled = bundledHandlerCost(ctx);
  return {
    id: 'lambda',
    title: 'Lambda handler overhead',
    status: 'ok',
    figures: [
      figure('createSqsHandler from sources (tsx), in this process, no-op listener, wall', lightbus, 'µs/record', 'lower', { name: 'Powertools BatchProcessor + zod, same job', value: baseline }, undefined,
        'For reference: sources run through tsx, which names every function (keepNames) as the bundle does; the goal applies to the bundles Lambda runs (rows above).'),
      ...bundled.figures,
      ...tracing.figures,
    ],
    details: { records, recordsPerEvent: 10, runsMicrosPerRecord: { lightbus: oursRuns, powertools: ptRuns }, ...bundled.details, ...tracing.details },
    notes: [
      ...bundled.notes,
      ...tracing.notes,
      `${records} records in 10-record SQS events, in this process, after 200 warm-up events; best of two alternating runs each.`,
      'Both parse the EventBridge delivery, validate the parameters with zod, and call a no-op listener; lightbus also checks the wire format and routing (queue → listener → event).',
    ],
  };
}
