/**
 * Worker state on Lambda costs no AWS call per invocation (issue #13): the worker handler
 * (createWorkerHandlerForBus, the one LightbusService bundles) on a stream of 10-record SQS events,
 * with worker state off (the default) and on, a simulated clock advancing 1 s per invocation. Every
 * SDK call is counted and answered in process by a middleware: no network.
 */
import type { Context, SQSEvent } from 'aws-lambda';
import type { BenchContext } from '../lib/context';
import { figure, type ScenarioResult } from '../lib/report';
import { round } from '../lib/stats';
import { sqsEvent } from './lambda';

/** The `middlewareStack.add` overload used here, common to the three SDK clients. */
interface InitializeStack {
  add(middleware: (next: unknown, context: { commandName?: string }) => () => Promise<unknown>, options: { step: 'initialize'; name: string }): void;
}

export async function workerStateScenario(ctx: BenchContext): Promise<Omit<ScenarioResult, 'durationMs'>> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createWorkerHandlerForBus } = require('../../handlers') as typeof import('../../handlers');
  const { lightbus } = require('../../runtime') as typeof import('../../runtime');
  const { benchApi } = require('../fixtures/bench-api') as typeof import('../fixtures/bench-api');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const invocations = ctx.quick ? 600 : 3600;
  const heartbeatSeconds = 60;
  const context = { functionName: 'bench', awsRequestId: 'req', getRemainingTimeInMillis: () => 300_000 } as unknown as Context;

  /** AWS calls made over `invocations` invocations, one simulated second apart. */
  const callsOver = async (workerState: boolean): Promise<number> => {
    const bus = lightbus.create({
      busName: `bench-ws-${workerState ? 'on' : 'off'}`,
      serviceName: 'bench',
      apis: [benchApi],
      aws: { region: 'us-east-1', endpoint: 'http://127.0.0.1:9' },
      workerHeartbeatSeconds: heartbeatSeconds,
    });
    bus.register(benchApi, { echo: ({ n }) => n });
    bus.bench.ping.listen(() => undefined, { listenerName: 'counter' });
    let calls = 0;
    const { clients } = bus.transports;
    for (const client of [clients.sqs, clients.eventBridge, clients.dynamoDb]) {
      (client.middlewareStack as unknown as InitializeStack).add(
        (_next, c) => async () => {
          calls += 1;
          const output = c.commandName === 'PutEventsCommand' ? { FailedEntryCount: 0, Entries: [{ EventId: 'e' }] } : {};
          return { output: { ...output, $metadata: {} }, response: {} };
        },
        { step: 'initialize', name: 'benchCountCalls' },
      );
    }
    const handler = createWorkerHandlerForBus(bus, { workerState });
    const queueArn = `arn:aws:sqs:us-east-1:000000000000:${bus.topology().listeners[0]!.queueName}`;
    const realNow = Date.now;
    let simulated = realNow();
    Date.now = () => simulated;
    try {
      for (let i = 0; i < invocations; i++) {
        simulated += 1000;
        await handler(sqsEvent(queueArn, i * 10) as SQSEvent, context);
      }
    } finally {
      Date.now = realNow;
      await bus.close();
    }
    return calls;
  };

  const off = await callsOver(false);
  const on = await callsOver(true);
  const reports = 1 + Math.floor((invocations - 1) / heartbeatSeconds);
  ctx.log(`  worker state off: ${off} AWS calls over ${invocations} invocations; on: ${on} (${reports} reports)`);
  return {
    id: 'workerstate',
    title: 'Worker state on Lambda',
    status: 'ok',
    figures: [
      figure('AWS calls per invocation, worker state off (default)', round(off / invocations, 4), 'calls', 'lower', undefined, { text: '0', absolute: 0 }),
      figure('AWS calls per invocation, worker state on', round(on / invocations, 4), 'calls', 'lower', undefined, { text: '≤ 4 per heartbeat interval', absolute: round((4 * reports) / invocations, 4) }),
    ],
    details: { invocations, simulatedSecondsBetweenInvocations: 1, heartbeatSeconds, callsOff: off, callsOn: on, reports },
    notes: [
      `${invocations} invocations of the worker handler, one simulated second apart, each a 10-record SQS event for a no-op listener (which itself needs no AWS call).`,
      `On: workerStarted on the first invocation (PutItem, UpdateItem, PutEvents, plus a GetItem to prune the index), then one heartbeat (3 calls) per ${heartbeatSeconds} s interval, made during an invocation; every other invocation makes none.`,
    ],
  };
}
