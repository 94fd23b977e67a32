import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { lightbus, silentLogger, z, type DispatchOutcome } from '../../runtime';
import { DeadLetters } from '../../local/dead-letters';
import { provisionTopology } from '../../local/provision';
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
    // Its outcome is reported once it is deleted, after the handler returned.
    await eventually(() => outcomes.length === 3, 15_000, 'the third outcome');
    expect(handled).toEqual([2]);
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'deadLettered', 'done']);
    const model = watcher.topology().listeners[0]!;
    expect(model.deadLetterQueueName).toBe(`${watcher.settings.busName}-listen-shipping-strict-dlq.fifo`);
    const url = await watcher.transports.queues.locator.url(model.deadLetterQueueName);
    const out = await watcher.transports.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
    expect(out.Messages).toHaveLength(1);
    expect(out.Messages![0]!.MessageAttributes?.['lightbus.error.message']?.StringValue).toBe('never works');
  });

  it('runs a follower held back behind its failing predecessors to its own full attempts, in order, and never dead-letters it', async () => {
    const source = firer();
    const watcher = listener(source.settings.busName);
    const handled: string[] = [];
    // A1 and A2 each fail twice, then succeed; with maxReceives 3 each may fail twice. A2 and A3 are
    // received with A1 and held back each time A1 (then A2) fails: counted as attempts, A2 would be
    // dead-lettered on its first failure, and SQS's redrive would move A3 away unrun.
    const failures = new Map([[1, 2], [2, 2]]);
    watcher.orders.changed.listen(
      (_e, { seq }) => {
        const left = failures.get(seq) ?? 0;
        if (left > 0) {
          failures.set(seq, left - 1);
          handled.push(`A${seq}!`);
          throw new Error(`A${seq} fails`);
        }
        handled.push(`A${seq}`);
      },
      { listenerName: 'held', ordered: { by: 'orderId' }, maxReceives: 3, retryDelaySeconds: 0 },
    );
    const model = watcher.topology().listeners[0]!;
    expect(model.redriveMaxReceiveCount).toBe(100);
    // Provisioned first and fired before the worker starts, so the group arrives in one receive.
    await provisionTopology(watcher.topology(), watcher.transports.clients, silentLogger, { archive: false });
    for (let seq = 1; seq <= 3; seq += 1) await source.orders.changed.fire({ orderId: 'A', seq });
    const outcomes: DispatchOutcome[] = [];
    const worker = await startWorker(watcher);
    worker.on('message_processed', (_m, o) => outcomes.push(o));
    await eventually(() => handled.includes('A3'), 30_000, 'A3 to run');
    expect(handled).toEqual(['A1!', 'A1!', 'A1', 'A2!', 'A2!', 'A2', 'A3']);
    expect(outcomes.filter((o) => o.kind === 'deadLettered')).toEqual([]);
    const url = await watcher.transports.queues.locator.url(model.deadLetterQueueName);
    const out = await watcher.transports.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(out.Messages ?? []).toHaveLength(0);
  });

  it('dead-letters a message after maxReceives runs, counting runs not receives, and the group then proceeds in order', async () => {
    const source = firer();
    const watcher = listener(source.settings.busName);
    const handled: string[] = [];
    // E1 fails twice first: E2, held back each time, still gets its own three runs.
    let e1Failures = 2;
    watcher.orders.changed.listen(
      (_e, { seq }) => {
        if (seq === 1 && e1Failures > 0) {
          e1Failures -= 1;
          handled.push('E1!');
          throw new Error('E1 fails');
        }
        if (seq === 2) {
          handled.push('E2!');
          throw new Error('E2 never works');
        }
        handled.push(`E${seq}`);
      },
      { listenerName: 'exhaust', ordered: { by: 'orderId' }, maxReceives: 3, retryDelaySeconds: 0 },
    );
    await provisionTopology(watcher.topology(), watcher.transports.clients, silentLogger, { archive: false });
    for (let seq = 1; seq <= 4; seq += 1) await source.orders.changed.fire({ orderId: 'E', seq });
    await startWorker(watcher);
    await eventually(() => handled.includes('E4'), 30_000, 'E4 after the dead letter');
    expect(handled).toEqual(['E1!', 'E1!', 'E1', 'E2!', 'E2!', 'E2!', 'E3', 'E4']);
    const model = watcher.topology().listeners[0]!;
    const url = await watcher.transports.queues.locator.url(model.deadLetterQueueName);
    const out = await watcher.transports.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    );
    expect(out.Messages).toHaveLength(1);
    const attributes = out.Messages![0]!.MessageAttributes ?? {};
    expect(attributes['lightbus.error.message']?.StringValue).toBe('E2 never works');
    expect(attributes['lightbus.reason']?.StringValue).toBe('retries-exhausted');
    expect(attributes['lightbus.receive-count']?.StringValue).toBe('3');
  });

  it('stop() starts none of a group\'s queued messages; they run on the next worker, in order, after the one that was running', async () => {
    const source = firer();
    const watcher = listener(source.settings.busName);
    const handled: string[] = [];
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    watcher.orders.changed.listen(
      async (_e, { seq }) => {
        handled.push(`S${seq} start`);
        if (seq === 1) await released;
        handled.push(`S${seq} end`);
      },
      { listenerName: 'stopper', ordered: { by: 'orderId' } },
    );
    await provisionTopology(watcher.topology(), watcher.transports.clients, silentLogger, { archive: false });
    for (let seq = 1; seq <= 3; seq += 1) await source.orders.changed.fire({ orderId: 'S', seq });
    const first = await startWorker(watcher, { drainTimeoutMs: 20_000 });
    await eventually(() => handled.includes('S1 start'), 30_000, 'S1 to start');
    const stopped = first.stop();
    // The worker is stopping while S1 runs: S1 finishes (the drain), S2 and S3 must not start here.
    await new Promise((r) => setTimeout(r, 200));
    release();
    await stopped;
    expect(handled).toEqual(['S1 start', 'S1 end']);
    await startWorker(watcher);
    await eventually(() => handled.includes('S3 end'), 30_000, 'S2 and S3 on the next worker');
    expect(handled).toEqual(['S1 start', 'S1 end', 'S2 start', 'S2 end', 'S3 start', 'S3 end']);
  });

  it('keeps a dead letter in its message group, and `dlq redrive` puts it back into the FIFO queue in that group, where it runs', async () => {
    const source = firer();
    const watcher = listener(source.settings.busName);
    const handled: string[] = [];
    let broken = true;
    watcher.orders.changed.listen(
      (_e, { orderId, seq }) => {
        if (seq === 1 && broken) throw new Error(`${orderId}1 broken`);
        handled.push(`${orderId}${seq}`);
      },
      { listenerName: 'redrive', ordered: { by: 'orderId' }, maxReceives: 1 },
    );
    await startWorker(watcher);
    await source.orders.changed.fire({ orderId: 'R', seq: 1 });
    await source.orders.changed.fire({ orderId: 'R', seq: 2 });
    await eventually(() => handled.includes('R2'), 30_000, 'R2 after R1 was dead-lettered');
    const deadLetters = new DeadLetters(watcher.transports.clients, watcher.settings.busName);
    const queue = await deadLetters.resolve({ service: 'shipping', listener: 'redrive' });
    expect(queue.sourceQueueName).toBe(watcher.topology().listeners[0]!.queueName);
    expect(queue.deadLetterQueueName).toMatch(/-dlq\.fifo$/);
    const listing = await deadLetters.list(queue);
    expect(listing.messages).toHaveLength(1);
    expect(listing.messages[0]!.messageGroupId).toBe('R');
    expect(listing.messages[0]!.cause?.errorMessage).toBe('R1 broken');
    broken = false;
    const report = await deadLetters.redrive(queue);
    expect(report.moved).toBe(1);
    expect(report.failures).toEqual([]);
    await eventually(() => handled.includes('R1'), 30_000, 'the redriven R1 to run');
    expect(handled).toEqual(['R2', 'R1']);
    expect((await deadLetters.list(queue)).messages).toEqual([]);
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
