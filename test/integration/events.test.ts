import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { lightbus, NotAuthoritativeError, ValidationError, type Bus, type DispatchOutcome } from '../../runtime';
import type { ReceivedEvent } from '../../runtime/client';
import { eventually, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

type MathBus = Bus<readonly [typeof mathApi]>;

/** The authoritative service for the math API: it may fire math events. */
function firer(busName?: string): MathBus {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'mathsvc', apis: [mathApi], ...(busName ? { busName } : {}) })));
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });
  return bus;
}

/** A listening service on the same bus. */
function listener(busName: string, serviceName = 'watcher'): MathBus {
  return track(lightbus.create(testBusOptions({ busName, serviceName, apis: [mathApi] })));
}

async function drainDeadLetters(bus: MathBus, queueName: string) {
  const url = await bus.transports.queues.locator.url(queueName);
  const out = await bus.transports.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
  );
  return out.Messages ?? [];
}

describe('events through EventBridge and SQS', () => {
  it('fire() returns the sent message with its ids; only the authoritative service may fire', async () => {
    const bus = firer();
    await startWorker(bus); // provisions the event bus
    const sent = await bus.math.happened.fire({ n: 1, label: 'first' });
    expect(sent).toMatchObject({ api: 'math', event: 'happened', parameters: { n: 1, label: 'first' } });
    expect(sent.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.eventBridgeId).toBeTruthy();

    const outsider = listener(bus.settings.busName);
    await expect(outsider.math.happened.fire({ n: 2 })).rejects.toBeInstanceOf(NotAuthoritativeError);
    const invalid = await bus.math.happened.fire({ n: 1.5 } as never).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).message).toMatch(/math\.happened/);
    expect((invalid as ValidationError).issues[0]?.path).toBe('$.n');
  });

  it('gives each listener name its own copy of every event', async () => {
    const source = firer();
    const busName = source.settings.busName;
    const watcher = listener(busName);
    const seenA: number[] = [];
    const seenB: number[] = [];
    watcher.math.happened.listen((_e, { n }) => void seenA.push(n), { listenerName: 'audit' });
    watcher.math.happened.listen((_e, { n }) => void seenB.push(n), { listenerName: 'metrics' });
    await startWorker(watcher);
    await Promise.all(Array.from({ length: 10 }, (_, n) => source.math.happened.fire({ n })));
    await eventually(() => seenA.length === 10 && seenB.length === 10, 15_000, 'both listeners to see 10 events');
    expect([...seenA].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...seenB].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('splits the events between two workers that share a service and listener name', async () => {
    const source = firer();
    const busName = source.settings.busName;
    const handledBy: Record<string, number[]> = { one: [], two: [] };
    for (const name of ['one', 'two'] as const) {
      const bus = listener(busName, 'shared');
      bus.math.happened.listen(
        async (_e, { n }) => {
          handledBy[name]!.push(n);
          await new Promise((r) => setTimeout(r, 40)); // keep each worker busy so neither takes them all
        },
        { listenerName: 'worker' },
      );
      await startWorker(bus, { concurrency: 2 });
    }
    await Promise.all(Array.from({ length: 40 }, (_, n) => source.math.happened.fire({ n })));
    await eventually(() => handledBy.one!.length + handledBy.two!.length >= 40, 20_000, '40 events handled');
    const all = [...handledBy.one!, ...handledBy.two!].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 40 }, (_, n) => n)); // each exactly once
    expect(handledBy.one!.length).toBeGreaterThan(0);
    expect(handledBy.two!.length).toBeGreaterThan(0);
  });

  it('lets one listener cover several events, and passes the event message', async () => {
    const other = lightbus.api('clock', { events: { ticked: lightbus.event({}) } });
    const source = track(lightbus.create(testBusOptions({ serviceName: 'src', apis: [mathApi, other] })));
    source.register(mathApi, { add: () => 0, fail: () => undefined, slow: () => '' });
    source.register(other, {});
    const watcher = track(lightbus.create(testBusOptions({ busName: source.settings.busName, serviceName: 'w', apis: [mathApi, other] })));
    const received: ReceivedEvent[] = [];
    watcher.listen(['math.happened', 'clock.ticked'], (event) => void received.push(event as ReceivedEvent), { listenerName: 'both' });
    await startWorker(watcher);
    const sent = await source.math.happened.fire({ n: 7 });
    await source.clock.ticked.fire();
    await eventually(() => received.length === 2, 15_000, 'two events');
    const happened = received.find((e) => e.event === 'happened')!;
    expect(happened).toMatchObject({ id: sent.id, api: 'math', event: 'happened', parameters: { n: 7 }, listenerName: 'both', receiveCount: 1 });
    expect(happened.sender).toMatchObject({ service: 'src' });
    expect(received.find((e) => e.event === 'ticked')).toMatchObject({ api: 'clock', parameters: {} });
  });

  it('retries a failing listener, then dead-letters it with the cause after maxReceives', async () => {
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
    await source.math.happened.fire({ n: 1 });
    await eventually(() => outcomes.some((o) => o.kind === 'deadLettered'), 20_000, 'dead-lettering');
    expect(attempts).toEqual([1, 2, 3]);
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'retry', 'deadLettered']);
    const dlq = await drainDeadLetters(watcher, watcher.topology().listeners[0]!.deadLetterQueueName);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.MessageAttributes?.['lightbus.reason']?.StringValue).toBe('retries-exhausted');
    expect(dlq[0]!.MessageAttributes?.['lightbus.error.message']?.StringValue).toBe('downstream unavailable');
    expect(JSON.parse(dlq[0]!.Body!).detail.parameters).toEqual({ n: 1 });
  });

  it('retries a listener that fails once and does not dead-letter it when it then succeeds', async () => {
    const source = firer();
    const watcher = listener(source.settings.busName);
    let calls = 0;
    watcher.math.happened.listen(
      () => {
        calls += 1;
        if (calls === 1) throw new Error('transient');
      },
      { listenerName: 'recovers', retryDelaySeconds: 0 },
    );
    const outcomes: DispatchOutcome[] = [];
    const worker = await startWorker(watcher);
    worker.on('message_processed', (_m, o) => outcomes.push(o));
    await source.math.happened.fire({ n: 1 });
    await eventually(() => outcomes.some((o) => o.kind === 'done'), 15_000, 'success on retry');
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'done']);
    expect(await drainDeadLetters(watcher, watcher.topology().listeners[0]!.deadLetterQueueName)).toHaveLength(0);
  });

  it('dead-letters poison messages at once, without retries, and keeps handling the good ones', async () => {
    const source = firer();
    const watcher = listener(source.settings.busName);
    const handled: number[] = [];
    watcher.math.happened.listen((_e, { n }) => void handled.push(n), { listenerName: 'careful', maxReceives: 5 });
    const outcomes: DispatchOutcome[] = [];
    const worker = await startWorker(watcher);
    worker.on('message_processed', (_m, o) => outcomes.push(o));
    const model = watcher.topology().listeners[0]!;
    const url = await watcher.transports.queues.locator.url(model.queueName);
    // 1. Not JSON at all, straight onto the listener queue.
    await watcher.transports.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{{{ nope' }));
    // 2. A well-formed event whose parameters fail the schema, through EventBridge.
    await source.transports.clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: source.transports.location.eventBusName,
            Source: 'lightbus.math',
            DetailType: 'math.happened',
            Detail: JSON.stringify({ v: 1, kind: 'lightbus.event', id: 'bad-1', api: 'math', event: 'happened', parameters: { n: 'NaN' }, firedAt: new Date().toISOString() }),
          },
        ],
      }),
    );
    // 3. Good events around them.
    await Promise.all([1, 2, 3].map((n) => source.math.happened.fire({ n })));
    await eventually(() => outcomes.length === 5, 15_000, 'five messages processed');
    expect(handled.sort()).toEqual([1, 2, 3]);
    const dead = outcomes.filter((o): o is Extract<DispatchOutcome, { kind: 'deadLettered' }> => o.kind === 'deadLettered');
    expect(dead.map((o) => o.reason).sort()).toEqual(['invalid', 'malformed']);
    const dlq = await drainDeadLetters(watcher, model.deadLetterQueueName);
    expect(dlq).toHaveLength(2);
    // Each went to the DLQ on its first receive: no retries for what can never succeed.
    expect(dlq.map((m) => m.MessageAttributes?.['lightbus.receive-count']?.StringValue)).toEqual(['1', '1']);
    const invalid = dlq.find((m) => m.MessageAttributes?.['lightbus.reason']?.StringValue === 'invalid')!;
    expect(invalid.MessageAttributes?.['lightbus.error.message']?.StringValue).toMatch(/\$\.n/);
  });
});
