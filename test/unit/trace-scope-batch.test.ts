/**
 * A Lambda batch's records run at once, each in a trace scope of its own (startEachInTraceScope:
 * entered in turn, the caller's scope restored once): each listener's work, across awaits, sees its
 * own record's trace, and nothing of theirs leaks into the caller's continuation.
 */
import type { SQSEvent } from 'aws-lambda';
import { createSqsHandler } from '../../handlers';
import { lightbus, silentLogger, z } from '../../runtime';
import { eventRecord } from '../support/event-records';
import { activeTraceContext, currentTraceId, enterTrace, runInTraceScope, startEachInTraceScope } from '../../runtime/tracing';

const api = lightbus.api('shop', { events: { sold: lightbus.event({ parameters: { n: z.number() } }) } });
const traceIdOf = (n: number) => n.toString(16).padStart(32, 'a');

describe('trace scopes of a batch', () => {
  it('each record of a batch keeps its own trace across awaits, and the caller keeps none', async () => {
    const bus = lightbus.create({ busName: 'trbatch', serviceName: 'shop', apis: [api], logger: silentLogger });
    const seen = new Map<number, (string | undefined)[]>();
    bus.shop.sold.listen(
      async (_event, { n }) => {
        const ids = [currentTraceId()];
        // Let the other records run in between: a shared scope would show their trace here.
        await new Promise((resolve) => setTimeout(resolve, (5 - n) * 3));
        ids.push(currentTraceId());
        await Promise.resolve();
        ids.push(currentTraceId());
        seen.set(n, ids);
      },
      { listenerName: 'audit' },
    );
    const queueName = bus.topology().listeners[0]?.queueName as string;
    const traceparent = (n: number) => `00-${traceIdOf(n)}-00f067aa0ba902b7-01`;
    const event: SQSEvent = { Records: [1, 2, 3, 4].map((n) => eventRecord(queueName, { api: 'shop', event: 'sold', parameters: { n }, n, traceparent: traceparent(n) })) };
    const response = await createSqsHandler(bus)(event);
    expect(response.batchItemFailures).toEqual([]);
    for (const n of [1, 2, 3, 4]) expect(seen.get(n)).toEqual([traceIdOf(n), traceIdOf(n), traceIdOf(n)]);
    expect(currentTraceId()).toBeUndefined();
  });

  it('restores the caller\'s own scope after starting the batch', async () => {
    const context = (n: number) => ({ traceId: traceIdOf(n), spanId: '00f067aa0ba902b7', traceFlags: 1 });
    await runInTraceScope(() =>
      enterTrace(context(9), async () => {
        const started = startEachInTraceScope([1, 2], (n) =>
          enterTrace(context(n), async () => {
            await Promise.resolve();
            return activeTraceContext()?.traceId;
          }),
        );
        // Synchronously after the batch started, and after it finished: the caller's own trace.
        expect(activeTraceContext()?.traceId).toBe(traceIdOf(9));
        expect(await Promise.all(started)).toEqual([traceIdOf(1), traceIdOf(2)]);
        expect(activeTraceContext()?.traceId).toBe(traceIdOf(9));
      }),
    );
  });
});
