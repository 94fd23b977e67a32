/**
 * The Lambda handler stops starting records when the invocation's remaining time is short: those
 * records come back in batchItemFailures without being run. MiniStack always reports 300000 ms
 * remaining, so these use a fake Lambda context and synthetic records (nothing reaches AWS: the
 * listener fires nothing and its record needs no network).
 */
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { createSqsHandler, defaultMinRemainingMs } from '../../handlers';
import { lightbus, silentLogger, z } from '../../runtime';
import { eventDeliveryBody, stubTransports } from '../support/stub-transports';

const shopApi = lightbus.api('shop', {
  events: { sold: lightbus.event({ parameters: { n: z.number().int() } }) },
});

async function fixture(fifo = false) {
  const bus = lightbus.create({ busName: 'time-left', serviceName: 'shop', apis: [shopApi], logger: silentLogger });
  const handled: number[] = [];
  bus.register(shopApi, {});
  bus.shop.sold.listen((_event, { n }) => void handled.push(n), { listenerName: 'tally' });
  const stub = stubTransports(bus);
  const bodies: string[] = [];
  for (let n = 1; n <= 3; n += 1) {
    await bus.shop.sold.fire({ n });
    bodies.push(eventDeliveryBody(stub.published[n - 1]!));
  }
  if (fifo) {
    // Lightbus makes no FIFO queues itself; the handler keeps order on any it is given. The
    // dispatcher learns the queue's name from the topology.
    const real = bus.topology.bind(bus);
    jest.spyOn(bus, 'topology').mockImplementation(() => {
      const topology = real();
      return { ...topology, listeners: topology.listeners.map((l) => ({ ...l, queueName: `${l.queueName}.fifo` })) };
    });
  }
  const queueName = bus.topology().listeners[0]!.queueName;
  const records = bodies.map(
    (body, i): SQSRecord =>
      ({
        messageId: `m${i + 1}`,
        receiptHandle: `r${i + 1}`,
        body,
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueName}`,
        awsRegion: 'us-east-1',
      }) as unknown as SQSRecord,
  );
  return { bus, handled, event: { Records: records } as SQSEvent };
}

/** A Lambda context whose clock is given by the test: each call returns the next remaining time. */
function fakeContext(remaining: number[]): Partial<Context> {
  let call = 0;
  return { getRemainingTimeInMillis: () => remaining[Math.min(call++, remaining.length - 1)]! };
}

it('defaults the margin to max(5 s, 10% of the invocation time)', () => {
  expect(defaultMinRemainingMs(30_000)).toBe(5_000);
  expect(defaultMinRemainingMs(900_000)).toBe(90_000);
});

it('runs every record when there is time', async () => {
  const { bus, handled, event } = await fixture();
  const response = await createSqsHandler(bus)(event, fakeContext([300_000]));
  expect(response.batchItemFailures).toEqual([]);
  expect(handled.sort()).toEqual([1, 2, 3]);
});

it('returns every record of a standard batch unrun when the invocation starts with too little time', async () => {
  const { bus, handled, event } = await fixture();
  const handler = createSqsHandler(bus, { minRemainingMs: 5_000 });
  const response = await handler(event, fakeContext([4_000]));
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }]);
  expect(handled).toEqual([]);
});

it('on FIFO, stops starting records once the time left falls under the margin', async () => {
  const { bus, handled, event } = await fixture(true);
  const handler = createSqsHandler(bus);
  // At start 60 s (margin 6 s); before record 1: 50 s, record 2: 5.9 s → stop.
  const response = await handler(event, fakeContext([60_000, 50_000, 5_900]));
  expect(handled).toEqual([1]);
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }]);
});

it('runs everything without a context (a direct call)', async () => {
  const { bus, handled, event } = await fixture();
  const response = await createSqsHandler(bus)(event);
  expect(response.batchItemFailures).toEqual([]);
  expect(handled).toHaveLength(3);
});
