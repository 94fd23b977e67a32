/**
 * The Lambda handler on an ordered listener's FIFO queue: records run one at a time, in order;
 * after a failed record, the later records of its message group are not started and come back
 * in batchItemFailures with it, while other groups carry on (a failing event holds back only its
 * own group). Synthetic records and stub transports, as in sqs-handler-time-left.test.ts.
 */
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
