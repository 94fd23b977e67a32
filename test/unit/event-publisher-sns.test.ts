import type { PublishBatchCommand } from '@aws-sdk/client-sns';
import type { PutEventsCommand as PutEventsCommandEb } from '@aws-sdk/client-eventbridge';
import { EventFireError, MessageTooLargeError } from '../../runtime';
import { parseEventDelivery } from '../../runtime/messages';
import { EventPublisher, MAX_PUBLISH_BATCH_BYTES, TopicLocator, type AwsClients } from '../../runtime/transport';

type Command = { input: Record<string, unknown>; constructor: { name: string } };

/**
 * Stub SNS and EventBridge clients (unit test): record each call; PublishBatch answers per entry
 * with `fail(message, call)` deciding which entries fail.
 */
function stubClients(fail: (message: string, call: number) => boolean = () => false) {
  const publishes: { topicArn: string; messages: string[] }[] = [];
  const puts: unknown[][] = [];
  let listTopics = 0;
  const clients = {
    sns: {
      send: async (command: Command) => {
        if (command.constructor.name === 'ListTopicsCommand') {
          listTopics += 1;
          return { Topics: [{ TopicArn: 'arn:aws:sns:us-east-1:000000000000:other' }, { TopicArn: 'arn:aws:sns:us-east-1:000000000000:b-events-orders' }] };
        }
        const input = (command as unknown as PublishBatchCommand).input;
        const entries = input.PublishBatchRequestEntries ?? [];
        publishes.push({ topicArn: input.TopicArn as string, messages: entries.map((e) => e.Message as string) });
        const call = publishes.length;
        return {
          Successful: entries.filter((e) => !fail(e.Message as string, call)).map((e) => ({ Id: e.Id, MessageId: `m-${call}-${e.Id}` })),
          Failed: entries.filter((e) => fail(e.Message as string, call)).map((e) => ({ Id: e.Id, Code: 'InternalError', Message: 'try again', SenderFault: false })),
        };
      },
    },
    eventBridge: {
      send: async (command: PutEventsCommandEb) => {
        const entries = command.input.Entries ?? [];
        puts.push(entries);
        return { Entries: entries.map((_, i) => ({ EventId: `e-${i}` })), FailedEntryCount: 0 };
      },
    },
  } as unknown as AwsClients;
  return { clients, publishes, puts, listTopicsCalls: () => listTopics };
}

const topicOf = (api: string) => (api === 'orders' ? 'b-events-orders' : undefined);
const entry = (api: string, event: string, n: number) => ({
  Source: `lightbus.${api}`,
  DetailType: `${api}.${event}`,
  Detail: JSON.stringify({ v: 1, kind: 'lightbus.event', id: '0f3c2d7e-8a41-4b8e-a5f0-6c9d1e2b3a44', api, event, parameters: { n }, firedAt: '2026-12-06T00:00:00.000Z' }),
});

describe('EventPublisher over SNS (an API on transports.event: sns)', () => {
  it('sends an SNS API\'s events with PublishBatch to its topic, in calls of 10, and the others with PutEvents', async () => {
    const { clients, publishes, puts } = stubClients();
    const publisher = new EventPublisher(clients, () => 'b', { topicOf });
    const ids = await Promise.all([
      ...Array.from({ length: 12 }, (_, n) => publisher.publish(entry('orders', 'placed', n), { api: 'orders', event: 'placed' })),
      publisher.publish(entry('payments', 'settled', 1), { api: 'payments', event: 'settled' }),
    ]);
    expect(ids.slice(0, 12).every((id) => id.startsWith('m-'))).toBe(true);
    expect(publishes.map((p) => [p.topicArn, p.messages.length])).toEqual([
      ['arn:aws:sns:us-east-1:000000000000:b-events-orders', 10],
      ['arn:aws:sns:us-east-1:000000000000:b-events-orders', 2],
    ]);
    expect(puts.map((p) => p.length)).toEqual([1]);
  });

  it('publishes the envelope a listener queue reads as it reads EventBridge\'s', async () => {
    const { clients, publishes } = stubClients();
    const publisher = new EventPublisher(clients, () => 'b', { topicOf });
    await publisher.publish(entry('orders', 'placed', 7), { api: 'orders', event: 'placed' });
    const body = publishes[0]!.messages[0]!;
    expect(JSON.parse(body)).toMatchObject({ source: 'lightbus.orders', 'detail-type': 'orders.placed', detail: { parameters: { n: 7 } } });
    expect(parseEventDelivery(body)).toMatchObject({ api: 'orders', event: 'placed', parameters: { n: 7 }, eventBridgeId: expect.any(String) });
  });

  it('finds the topic ARN once, by LIGHTBUS_TOPIC_ARN_PREFIX without a call, else by listing topics', async () => {
    const listed = stubClients();
    const locator = new TopicLocator(listed.clients, {});
    const context = { api: 'orders', event: 'placed' };
    expect(await locator.arnOf('b-events-orders', context)).toBe('arn:aws:sns:us-east-1:000000000000:b-events-orders');
    await locator.arnOf('b-events-orders', context);
    expect(listed.listTopicsCalls()).toBe(1);
    const missing = await locator.arnOf('b-events-nope', context).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(EventFireError);
    expect((missing as Error).message).toMatch(/the SNS topic b-events-nope of API orders does not exist/);

    const prefixed = stubClients();
    const byPrefix = new TopicLocator(prefixed.clients, { LIGHTBUS_TOPIC_ARN_PREFIX: 'arn:aws:sns:eu-west-1:111111111111:' });
    expect(await byPrefix.arnOf('b-events-orders', context)).toBe('arn:aws:sns:eu-west-1:111111111111:b-events-orders');
    expect(prefixed.listTopicsCalls()).toBe(0);
  });

  it('retries only the entries SNS refused', async () => {
    const { clients, publishes } = stubClients((message, call) => call === 1 && message.includes('"n":1'));
    const publisher = new EventPublisher(clients, () => 'b', { topicOf, baseRetryDelayMs: 1 });
    await Promise.all([0, 1, 2].map((n) => publisher.publish(entry('orders', 'placed', n), { api: 'orders', event: 'placed' })));
    expect(publishes.map((p) => p.messages.length)).toEqual([3, 1]);
    expect(publishes[1]!.messages[0]).toContain('"n":1');
  });

  it('refuses a message over 256 KB before sending, naming the event and SNS', async () => {
    const { clients, publishes } = stubClients();
    const publisher = new EventPublisher(clients, () => 'b', { topicOf });
    const big = { ...entry('orders', 'placed', 1), Detail: JSON.stringify({ pad: 'x'.repeat(MAX_PUBLISH_BATCH_BYTES) }) };
    const error = await publisher.publish(big, { api: 'orders', event: 'placed' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as Error).message).toMatch(/^orders\.placed: the SNS message is \d+ bytes; the limit is 262144/);
    expect(publishes).toHaveLength(0);
  });

  it('delivers buffered SNS events on flush()', async () => {
    const { clients, publishes } = stubClients();
    const publisher = new EventPublisher(clients, () => 'b', { topicOf, lingerMs: 1000 });
    for (const n of [1, 2, 3]) publisher.buffer(entry('orders', 'placed', n), { api: 'orders', event: 'placed', eventId: `id-${n}` }, 5000);
    expect(publishes).toHaveLength(0);
    expect(await publisher.flush()).toEqual({ events: [], notRetained: 0 });
    expect(publishes.map((p) => p.messages.length)).toEqual([3]);
  });
});
