/**
 * The bus's `traceContext` setting: on (the default) a listener's work continues the received
 * traceparent (log lines and `currentTraceId()` carry its trace id); off, the received one is
 * ignored and the work runs without trace context. Also where the setting comes from.
 */
import type { SQSEvent } from 'aws-lambda';
import { createSqsHandler } from '../../handlers';
import { lightbus, silentLogger, z } from '../../runtime';
import { resolveBusSettings, TRACE_CONTEXT_ENV } from '../../runtime/config';
import { currentTraceId } from '../../runtime/tracing';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const api = lightbus.api('shop', { events: { sold: lightbus.event({ parameters: { n: z.number() } }) } });

function busWith(traceContext: boolean | undefined) {
  const bus = lightbus.create({ busName: 'trctx', serviceName: 'shop', apis: [api], logger: silentLogger, ...(traceContext === undefined ? {} : { traceContext }) });
  const seen: (string | undefined)[] = [];
  bus.shop.sold.listen(
    async () => {
      await Promise.resolve();
      seen.push(currentTraceId());
    },
    { listenerName: 'audit' },
  );
  return { bus, seen };
}

function tracedEvent(queueArn: string): SQSEvent {
  const detail = { v: 1, kind: 'lightbus.event', id: 'e-1', api: 'shop', event: 'sold', parameters: { n: 1 }, firedAt: new Date().toISOString(), traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` };
  const body = JSON.stringify({ version: '0', id: 'eb-1', 'detail-type': 'shop.sold', source: 'lightbus.shop', time: new Date().toISOString(), detail });
  return {
    Records: [
      {
        messageId: 'm-1',
        receiptHandle: 'r-1',
        body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: 'us-east-1',
      },
    ],
  };
}

async function traceIdsSeen(traceContext: boolean | undefined): Promise<(string | undefined)[]> {
  const { bus, seen } = busWith(traceContext);
  const queueName = bus.topology().listeners.find((l) => l.listenerName === 'audit')?.queueName as string;
  const response = await createSqsHandler(bus)(tracedEvent(`arn:aws:sqs:us-east-1:000000000000:${queueName}`));
  expect(response.batchItemFailures).toEqual([]);
  return seen;
}

describe('traceContext setting', () => {
  it('on by default: the listener continues the received trace', async () => {
    expect(await traceIdsSeen(undefined)).toEqual([TRACE_ID]);
  });

  it('off: the received traceparent is ignored and the work has no trace', async () => {
    expect(await traceIdsSeen(false)).toEqual([undefined]);
  });

  it('comes from create(), then the file, then LIGHTBUS_TRACE_CONTEXT, else true', () => {
    expect(resolveBusSettings({}, {}).traceContext).toBe(true);
    expect(resolveBusSettings({}, { [TRACE_CONTEXT_ENV]: 'off' }).traceContext).toBe(false);
    expect(resolveBusSettings({}, { [TRACE_CONTEXT_ENV]: 'TRUE' }).traceContext).toBe(true);
    expect(resolveBusSettings({ traceContext: true }, { [TRACE_CONTEXT_ENV]: 'false' }).traceContext).toBe(true);
  });

  it('refuses a value that is not a switch, naming the variable and what is allowed', () => {
    expect(() => resolveBusSettings({}, { [TRACE_CONTEXT_ENV]: 'maybe' })).toThrow(
      'LIGHTBUS_TRACE_CONTEXT: "maybe" is not a switch; expected true, false, on, off, 1 or 0.',
    );
    expect(() => resolveBusSettings({ traceContext: 'no' as unknown as boolean }, {})).toThrow('create(): traceContext must be true or false; got "no".');
  });
});
