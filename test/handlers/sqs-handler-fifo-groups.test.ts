/**
 * The Lambda handler on an ordered listener's FIFO queue: records run one at a time, in order;
 * after a failed record, the later records of its message group are not started and come back
 * in batchItemFailures with it, while other groups carry on (a failing event holds back only its
 * own group). Synthetic records and stub transports, as in sqs-handler-time-left.test.ts.
 */
import type { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { createSqsHandler } from '../../handlers';
import { lightbus, silentLogger, z } from '../../runtime';
import { eventDeliveryBody, stubTransports } from '../support/stub-transports';

const ordersApi = lightbus.api('orders', {
  events: { changed: lightbus.event({ parameters: { orderId: z.string(), seq: z.number().int() } }) },
});

it('holds back only the failing group: its later records are returned unrun, other groups are handled', async () => {
  const apiSettings = { orders: { transports: { event: 'sns-fifo' as const }, orderedBy: 'orderId' } };
  const bus = lightbus.create({ busName: 'fifo-groups', serviceName: 'ship', apis: [ordersApi], logger: silentLogger, apiSettings });
  bus.register(ordersApi, {});
  const handled: string[] = [];
  bus.orders.changed.listen(
    (_e, { orderId, seq }) => {
      if (orderId === 'A' && seq === 1) throw new Error('A1 fails');
      handled.push(`${orderId}${seq}`);
    },
    { listenerName: 'ship', ordered: { by: 'orderId' } },
  );
  const stub = stubTransports(bus);
  stubAttempts(bus);
  const order = [['A', 1], ['B', 1], ['A', 2], ['B', 2]] as const;
  const bodies: string[] = [];
  for (const [orderId, seq] of order) {
    await bus.orders.changed.fire({ orderId, seq });
    bodies.push(eventDeliveryBody(stub.published[bodies.length]!));
  }
  const queueName = bus.topology().listeners[0]!.queueName;
  expect(queueName).toMatch(/\.fifo$/);
  const records = bodies.map(
    (body, i): SQSRecord =>
      ({
        messageId: `m${i + 1}`,
        receiptHandle: `r${i + 1}`,
        body,
        attributes: { ApproximateReceiveCount: '1', MessageGroupId: order[i]![0] },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueName}`,
        awsRegion: 'us-east-1',
      }) as unknown as SQSRecord,
  );
  const response = await createSqsHandler(bus)({ Records: records } as SQSEvent);
  expect(handled).toEqual(['B1', 'B2']);
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm3' }]);
});

/** Replaces the bus's DynamoDB client with a counter of UpdateItem ADDs per key (the ordered listener's run count). */
function stubAttempts(bus: { transports: object }): Map<string, number> {
  const counts = new Map<string, number>();
  const send = async (command: UpdateItemCommand) => {
    const key = command.input.Key?.['pk']?.S ?? '';
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return { Attributes: { attempts: { N: String(counts.get(key)) } } };
  };
  Object.defineProperty(bus.transports, 'clients', { value: { dynamoDb: { send } }, configurable: true });
  return counts;
}

describe('an ordered listener on Lambda, by runs rather than receives', () => {
  async function fixture(maxReceives: number) {
    const apiSettings = { orders: { transports: { event: 'sns-fifo' as const }, orderedBy: 'orderId' } };
    const bus = lightbus.create({ busName: 'fifo-runs', serviceName: 'ship', apis: [ordersApi], logger: silentLogger, apiSettings });
    bus.register(ordersApi, {});
    const handled: string[] = [];
    bus.orders.changed.listen(
      (_e, { orderId, seq }) => {
        if (orderId === 'A' && seq === 1) throw new Error('A1 fails');
        handled.push(`${orderId}${seq}`);
      },
      { listenerName: 'ship', ordered: { by: 'orderId' }, maxReceives, retryDelaySeconds: 4 },
    );
    const stub = stubTransports(bus);
    const attempts = stubAttempts(bus);
    const queueName = bus.topology().listeners[0]!.queueName;
    const record = async (id: string, orderId: string, seq: number, receiveCount: number): Promise<SQSRecord> => {
      await bus.orders.changed.fire({ orderId, seq });
      return {
        messageId: id,
        receiptHandle: `r-${id}`,
        body: eventDeliveryBody(stub.published[stub.published.length - 1]!),
        attributes: { ApproximateReceiveCount: String(receiveCount), MessageGroupId: orderId },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueName}`,
        awsRegion: 'us-east-1',
      } as unknown as SQSRecord;
    };
    return { bus, stub, attempts, handled, record, queueName };
  }

  it('retries a message on its first failed run even when held-back receives took its receive count to maxReceives', async () => {
    const { bus, stub, attempts, record, queueName } = await fixture(3);
    const outcomes: string[] = [];
    const handler = createSqsHandler(bus, { onOutcome: (_m, o) => void outcomes.push(o.kind) });
    // Received 3 times already (held back behind earlier messages), run once now: attempt 1 of 3.
    const response = await handler({ Records: [await record('m1', 'A', 1, 3)] } as SQSEvent);
    expect(outcomes).toEqual(['retry']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(stub.sent.filter((s) => s.queueName.endsWith('-dlq.fifo'))).toEqual([]);
    expect([...attempts.entries()]).toEqual([['attempts#ship#ship#m1', 1]]);
    // The backoff follows the run count (4 s × 2^0), not the receive count (4 s × 2^2).
    expect(stub.visibility).toEqual([{ queueName, seconds: 4 }]);
    // Its third failed run dead-letters it, whatever the receive count says.
    await handler({ Records: [await record('m1', 'A', 1, 4)] } as SQSEvent);
    await handler({ Records: [await record('m1', 'A', 1, 9)] } as SQSEvent);
    expect(outcomes).toEqual(['retry', 'retry', 'deadLettered']);
    expect(stub.sent.filter((s) => s.queueName.endsWith('-dlq.fifo'))).toHaveLength(1);
  });

  it('makes the records held back behind a failed one visible at once (the failed one keeps its backoff), and touches no other record', async () => {
    const { bus, stub, handled, record, queueName } = await fixture(5);
    const records = [await record('m1', 'A', 1, 1), await record('m2', 'B', 1, 1), await record('m3', 'A', 2, 1), await record('m4', 'B', 2, 1)];
    const response = await createSqsHandler(bus)({ Records: records } as SQSEvent);
    expect(handled).toEqual(['B1', 'B2']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm3' }]);
    // m1: its retry delay; m3 (held back, unrun): visible now, so the group waits only for m1's delay.
    expect(stub.visibility).toEqual([
      { queueName, seconds: 4 },
      { queueName, seconds: 0 },
    ]);
  });
});
