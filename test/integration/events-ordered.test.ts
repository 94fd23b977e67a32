import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { lightbus, z, type DispatchOutcome } from '../../runtime';
import { eventually, startWorker, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

const ordersApi = lightbus.api('orders', {
  events: { changed: lightbus.event({ parameters: { orderId: z.string(), seq: z.number().int() } }) },
});

/** Every service on the bus: orders on an SNS FIFO topic, grouped by orderId. */
const apiSettings = { orders: { transports: { event: 'sns-fifo' as const }, orderedBy: 'orderId' } };

function firer(busName?: string) {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'ordersvc', apis: [ordersApi], apiSettings, ...(busName ? { busName } : {}) })));
  bus.register(ordersApi, {});
  return bus;
}

function listener(busName: string) {
  return track(lightbus.create(testBusOptions({ busName, serviceName: 'shipping', apis: [ordersApi], apiSettings })));
}

describe('ordered listeners (listen(..., { ordered: { by } }) on an API on sns-fifo)', () => {
  it('keeps order per key while another key proceeds past a failing group; a plain listener of the same API gets every event', async () => {
    const source = firer();
    const watcher = listener(source.settings.busName);
    const handled: string[] = [];
    let failuresLeft = 2;
    watcher.orders.changed.listen(
      (_e, { orderId, seq }) => {
        if (orderId === 'A' && seq === 1 && failuresLeft > 0) {
          failuresLeft -= 1;
          handled.push(`A1!`);
          throw new Error('A1 fails twice');
        }
        handled.push(`${orderId}${seq}`);
      },
      { listenerName: 'ship', ordered: { by: 'orderId' }, retryDelaySeconds: 1 },
    );
    const plain: string[] = [];
    watcher.orders.changed.listen((_e, { orderId, seq }) => void plain.push(`${orderId}${seq}`), { listenerName: 'audit' });
    const outcomes: DispatchOutcome[] = [];
    const worker = await startWorker(watcher, { concurrency: 8 });
    worker.on('message_processed', (_m, o) => outcomes.push(o));
    const queues = watcher.topology().listeners.map((l) => [l.listenerName, l.queueName, l.fifo ?? false]);
    expect(queues).toEqual([
      ['audit', `${watcher.settings.busName}-listen-shipping-audit`, false],
      ['ship', `${watcher.settings.busName}-listen-shipping-ship.fifo`, true],
    ]);
    // Each key's events fired in order (each fire awaited), the two keys interleaved.
    for (let seq = 1; seq <= 5; seq += 1) {
      await source.orders.changed.fire({ orderId: 'A', seq });
      await source.orders.changed.fire({ orderId: 'B', seq });
    }
    await eventually(() => handled.filter((h) => !h.endsWith('!')).length === 10, 30_000, 'ten events handled in order');
    const ok = handled.filter((h) => !h.endsWith('!'));
    expect(ok.filter((h) => h.startsWith('A'))).toEqual(['A1', 'A2', 'A3', 'A4', 'A5']);
    expect(ok.filter((h) => h.startsWith('B'))).toEqual(['B1', 'B2', 'B3', 'B4', 'B5']);
    expect(handled.filter((h) => h === 'A1!')).toHaveLength(2);
    // B did not wait for A's failing event: all of B was handled before A1 finally succeeded.
    expect(handled.indexOf('B5')).toBeLessThan(handled.indexOf('A1'));
    await eventually(() => plain.length === 10, 15_000, 'the plain listener to see all ten');
    expect([...plain].sort()).toEqual(['A1', 'A2', 'A3', 'A4', 'A5', 'B1', 'B2', 'B3', 'B4', 'B5']);
    expect(outcomes.filter((o) => o.kind === 'retry')).toHaveLength(2);
  });

  it('dead-letters an ordered listener\'s failing event to its FIFO dead-letter queue with the cause, then the key proceeds', async () => {
    const source = firer();
    const watcher = listener(source.settings.busName);
    const handled: number[] = [];
    watcher.orders.changed.listen(
      (_e, { seq }) => {
        if (seq === 1) throw new Error('never works');
        handled.push(seq);
      },
      { listenerName: 'strict', ordered: { by: 'orderId' }, maxReceives: 2, retryDelaySeconds: 0 },
    );
    const outcomes: DispatchOutcome[] = [];
    const worker = await startWorker(watcher);
    worker.on('message_processed', (_m, o) => outcomes.push(o));
    await source.orders.changed.fire({ orderId: 'C', seq: 1 });
    await source.orders.changed.fire({ orderId: 'C', seq: 2 });
    await eventually(() => handled.length === 1, 30_000, 'the next event of the key after the dead letter');
    expect(handled).toEqual([2]);
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'deadLettered', 'done']);
    const model = watcher.topology().listeners[0]!;
    expect(model.deadLetterQueueName).toBe(`${watcher.settings.busName}-listen-shipping-strict-dlq.fifo`);
    const url = await watcher.transports.queues.locator.url(model.deadLetterQueueName);
    const out = await watcher.transports.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    expect(out.Messages).toHaveLength(1);
    expect(out.Messages![0]!.MessageAttributes?.['lightbus.error.message']?.StringValue).toBe('never works');
  });

  it('drops a repeat of the same event id (FIFO deduplication by event id)', async () => {
    const source = firer();
    const watcher = listener(source.settings.busName);
    const handled: number[] = [];
    watcher.orders.changed.listen((_e, { seq }) => void handled.push(seq), { listenerName: 'once', ordered: { by: 'orderId' } });
    await startWorker(watcher);
    const first = await source.orders.changed.fire({ orderId: 'D', seq: 1 });
    await source.orders.changed.fire({ orderId: 'D', seq: 1 }, { eventId: first.id });
    await source.orders.changed.fire({ orderId: 'D', seq: 2 });
    await eventually(() => handled.includes(2), 15_000, 'the second event');
    expect(handled).toEqual([1, 2]);
  });
});
