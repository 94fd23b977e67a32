import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { lightbus, type Bus, type DispatchOutcome } from '../../runtime';
import type { ReceivedEvent } from '../../runtime/client';
import { eventTopicName } from '../../runtime/topology';
import { uniqueName } from '../support/aws';
import { eventually, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

type MathBus = Bus<readonly [typeof mathApi]>;

/** Every service on the bus gives `math` the same event transport: SNS. */
const onSns = { math: { transports: { event: 'sns' as const } } };

function firer(busName?: string): MathBus {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'mathsvc', apis: [mathApi], apiSettings: onSns, ...(busName ? { busName } : {}) })));
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });
  return bus;
}

function listener(busName: string, serviceName = 'watcher'): MathBus {
  return track(lightbus.create(testBusOptions({ busName, serviceName, apis: [mathApi], apiSettings: onSns })));
}

describe('events over SNS (apis.<api>.transports.event: sns)', () => {
  it('the emulator honours a body-scoped filter policy on a raw-delivery SQS subscription (the listener subscriptions rely on it)', async () => {
    const bus = track(lightbus.create(testBusOptions({})));
    const { sns, sqs } = bus.transports.clients;
    const topic = await sns.send(new CreateTopicCommand({ Name: uniqueName('contract') }));
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('contract-q') }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await sns.send(
      new SubscribeCommand({
        TopicArn: topic.TopicArn,
        Protocol: 'sqs',
        Endpoint: arn,
        Attributes: { RawMessageDelivery: 'true', FilterPolicyScope: 'MessageBody', FilterPolicy: JSON.stringify({ source: ['lightbus.a'] }) },
      }),
    );
    await sns.send(new PublishCommand({ TopicArn: topic.TopicArn, Message: JSON.stringify({ source: 'lightbus.b', n: 1 }) }));
    await sns.send(new PublishCommand({ TopicArn: topic.TopicArn, Message: JSON.stringify({ source: 'lightbus.a', n: 2 }) }));
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    // Raw delivery: the body is the published message itself; the filtered one never arrives.
    expect((out.Messages ?? []).map((m) => JSON.parse(m.Body!))).toEqual([{ source: 'lightbus.a', n: 2 }]);
  });

  it('gives each listener name one copy of every event, in the same message a listener queue gets from EventBridge', async () => {
    const source = firer();
    const watcher = listener(source.settings.busName);
    const seenA: ReceivedEvent[] = [];
    const seenB: number[] = [];
    watcher.math.happened.listen((event) => void seenA.push(event as ReceivedEvent), { listenerName: 'audit' });
    watcher.math.happened.listen((_e, { n }) => void seenB.push(n), { listenerName: 'metrics' });
    await startWorker(watcher);
    expect(watcher.topology().listeners.map((l) => [l.onEventBridge, l.subscriptions.map((s) => s.topicName)])).toEqual([
      [false, [eventTopicName(source.settings.busName, 'math')]],
      [false, [eventTopicName(source.settings.busName, 'math')]],
    ]);
    const sent = await Promise.all(Array.from({ length: 10 }, (_, n) => source.math.happened.fire({ n })));
    expect(sent[0]!.eventBridgeId).toBeTruthy(); // SNS's message id
    await eventually(() => seenA.length === 10 && seenB.length === 10, 15_000, 'both listeners to see 10 events');
    expect(seenA.map((e) => e.parameters.n).sort((x, y) => Number(x) - Number(y))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...seenB].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const first = seenA.find((e) => e.parameters.n === 0)!;
    expect(first).toMatchObject({ id: sent[0]!.id, api: 'math', event: 'happened', listenerName: 'audit', receiveCount: 1 });
    // Nothing went through EventBridge: a second look at the queues finds no more copies.
    await new Promise((r) => setTimeout(r, 300));
    expect(seenA).toHaveLength(10);
  });

  it('splits the events between two workers of one listener name (competing consumers)', async () => {
    const source = firer();
    const busName = source.settings.busName;
    const handledBy: Record<string, number[]> = { one: [], two: [] };
    for (const name of ['one', 'two'] as const) {
      const bus = listener(busName, 'shared');
      bus.math.happened.listen(
        async (_e, { n }) => {
          handledBy[name]!.push(n);
          await new Promise((r) => setTimeout(r, 40));
        },
        { listenerName: 'worker' },
      );
      await startWorker(bus, { concurrency: 2 });
    }
    await Promise.all(Array.from({ length: 30 }, (_, n) => source.math.happened.fire({ n })));
    await eventually(() => handledBy.one!.length + handledBy.two!.length >= 30, 20_000, '30 events handled');
    expect([...handledBy.one!, ...handledBy.two!].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, n) => n));
    expect(handledBy.one!.length).toBeGreaterThan(0);
    expect(handledBy.two!.length).toBeGreaterThan(0);
  });

  it('retries a failing listener, then dead-letters the event with its cause', async () => {
    const source = firer();
    const watcher = listener(source.settings.busName);
    const attempts: number[] = [];
    watcher.math.happened.listen(
      (event) => {
        attempts.push(event.receiveCount);
        throw new Error('downstream unavailable');
      },
      { listenerName: 'flaky', maxReceives: 3, retryDelaySeconds: 0 },
    );
    const outcomes: DispatchOutcome[] = [];
    const worker = await startWorker(watcher);
    worker.on('message_processed', (_m, o) => outcomes.push(o));
    await source.math.happened.fire({ n: 1 }, { delivery: 'buffered' });
    await source.flush();
    await eventually(() => outcomes.some((o) => o.kind === 'deadLettered'), 20_000, 'dead-lettering');
    expect(attempts).toEqual([1, 2, 3]);
    const url = await watcher.transports.queues.locator.url(watcher.topology().listeners[0]!.deadLetterQueueName);
    const dlq = (await watcher.transports.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }))).Messages ?? [];
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.MessageAttributes?.['lightbus.reason']?.StringValue).toBe('retries-exhausted');
    expect(dlq[0]!.MessageAttributes?.['lightbus.error.message']?.StringValue).toBe('downstream unavailable');
    expect(JSON.parse(dlq[0]!.Body!)).toMatchObject({ source: 'lightbus.math', 'detail-type': 'math.happened', detail: { parameters: { n: 1 } } });
  });

  it('refuses, at the subscription, a message on the topic whose envelope names another API', async () => {
    const source = firer();
    const watcher = listener(source.settings.busName);
    const seen: number[] = [];
    watcher.math.happened.listen((_e, { n }) => void seen.push(n), { listenerName: 'strict' });
    const outcomes: DispatchOutcome[] = [];
    const worker = await startWorker(watcher);
    worker.on('message_processed', (_m, o) => outcomes.push(o));
    const { sns } = source.transports.clients;
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: eventTopicName(source.settings.busName, 'math') }))).TopicArn;
    const detail = { v: 1, kind: 'lightbus.event', id: '0f3c2d7e-8a41-4b8e-a5f0-6c9d1e2b3a44', api: 'other', event: 'happened', parameters: { n: 99 }, firedAt: new Date().toISOString() };
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify({ id: 'x', source: 'lightbus.other', 'detail-type': 'other.happened', detail }) }));
    await source.math.happened.fire({ n: 1 });
    await eventually(() => seen.length === 1, 15_000, 'the real event');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([1]);
    expect(outcomes.map((o) => o.kind)).toEqual(['done']);
  });
});
