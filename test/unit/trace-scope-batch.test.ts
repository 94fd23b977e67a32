/**
 * A Lambda batch's records run at once, each in a trace scope of its own (startEachInTraceScope:
 * entered in turn, the caller's scope restored once): each listener's work, across awaits, sees its
 * own record's trace, and nothing of theirs leaks into the caller's continuation.
 */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { createSqsHandler } from '../../handlers';
import { lightbus, silentLogger, z } from '../../runtime';
import { activeTraceContext, currentTraceId, enterTrace, runInTraceScope, startEachInTraceScope } from '../../runtime/tracing';

const api = lightbus.api('shop', { events: { sold: lightbus.event({ parameters: { n: z.number() } }) } });
const traceIdOf = (n: number) => n.toString(16).padStart(32, 'a');

function record(queueArn: string, n: number): SQSRecord {
  const detail = { v: 1, kind: 'lightbus.event', id: `e-${n}`, api: 'shop', event: 'sold', parameters: { n }, firedAt: new Date().toISOString(), traceparent: `00-${traceIdOf(n)}-00f067aa0ba902b7-01` };
  const body = JSON.stringify({ version: '0', id: `eb-${n}`, 'detail-type': 'shop.sold', source: 'lightbus.shop', time: new Date().toISOString(), detail });
  return {
    messageId: `m-${n}`,
    receiptHandle: `r-${n}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

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
    const arn = `arn:aws:sqs:us-east-1:000000000000:${queueName}`;
    const event: SQSEvent = { Records: [1, 2, 3, 4].map((n) => record(arn, n)) };
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
