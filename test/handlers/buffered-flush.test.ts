/**
 * The Lambda handlers flush buffered delivery before they return (a Lambda is frozen after its
 * handler returns), and a failed flush fails the records whose listeners fired the lost events.
 * EventBridge is stubbed so that the test controls when and whether it accepts entries; the
 * records are real listener deliveries (the body EventBridge puts on a listener queue).
 */
import { randomUUID } from 'node:crypto';
import type { PutEventsCommand, PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { createSqsHandler } from '../../handlers';
import { lightbus, silentLogger, UndeliveredEventsError } from '../../runtime';
import { MAX_LINGER_MS } from '../../runtime/config';
import type { DispatchOutcome } from '../../runtime/dispatch';
import { DeadLetterAttributes, eventDetailType, eventSource, WIRE_VERSION, type EventDetail } from '../../runtime/messages/wire';
import { mathApi } from '../support/apis';
import { eventDeliveryBody } from '../support/stub-transports';

interface Stub {
  readonly entries: PutEventsRequestEntry[];
  hold: boolean;
  release(): void;
}

/** An EventBridge stub: records entries, refuses those `refuse` picks, and can hold its answers. */
function stubEventBridge(bus: { transports: object }, refuse: (n: number) => boolean = () => false, sqsSent: { input: unknown }[] = []): Stub {
  const waiting: (() => void)[] = [];
  const stub: Stub = { entries: [], hold: false, release: () => waiting.splice(0).forEach((go) => go()) };
  const send = async (command: PutEventsCommand) => {
    const entries = command.input.Entries ?? [];
    stub.entries.push(...entries);
    if (stub.hold) await new Promise<void>((resolve) => waiting.push(resolve));
    const answer = (entry: PutEventsRequestEntry): PutEventsResultEntry =>
      refuse((JSON.parse(entry.Detail as string) as { parameters: { n: number } }).parameters.n)
        ? { ErrorCode: 'AccessDeniedException', ErrorMessage: 'refused by the test' }
        : { EventId: randomUUID() };
    return { Entries: entries.map(answer), FailedEntryCount: 0 };
  };
  // SQS: every call succeeds (queue URLs, retry delays, dead-letter sends), recorded in `sqsSent`.
  const sqs = { send: async (command: { input: unknown }) => (sqsSent.push(command), { QueueUrl: 'https://sqs.local/q', MessageId: 'sqs-1' }) };
  Object.defineProperty(bus.transports, 'clients', { value: { eventBridge: { send }, sqs, destroy: () => {} }, configurable: true });
  return stub;
}

/** The math API's owner, in buffered mode, relaying each `happened` it hears as n + 100. */
function relayBus(listen: { maxReceives?: number } = {}) {
  const bus = lightbus.create({
    busName: 'buffered-handler',
    serviceName: 'relay',
    apis: [mathApi],
    logger: silentLogger,
    fire: { delivery: 'buffered', lingerMs: MAX_LINGER_MS },
  });
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: async () => 'x' });
  bus.math.happened.listen(
    async (_event, { n, label }) => {
      if (label !== 'relayed') await bus.math.happened.fire({ n: n + 100, label: 'relayed' });
    },
    { listenerName: 'relay', ...listen },
  );
  return bus;
}

/** An SQS event of listener deliveries of `math.happened` for each n. */
function deliveries(bus: ReturnType<typeof relayBus>, ns: readonly number[]): SQSEvent {
  const queueName = bus.topology().listeners[0]?.queueName as string;
  const records = ns.map((n): SQSRecord => {
    const detail: EventDetail = {
      v: WIRE_VERSION,
      kind: 'lightbus.event',
      id: randomUUID(),
      api: 'math',
      event: 'happened',
      parameters: { n },
      firedAt: new Date().toISOString(),
      sender: { service: 'test', process: 'test' },
    };
    const body = eventDeliveryBody({ Source: eventSource('math'), DetailType: eventDetailType('math', 'happened'), Detail: JSON.stringify(detail) });
    return {
      messageId: `m-${n}`,
      receiptHandle: `r-${n}`,
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueName}`,
      awsRegion: 'us-east-1',
    };
  });
  return { Records: records };
}

describe('Lambda handlers and buffered delivery', () => {
  it('the SQS handler flushes the events its listeners fired before it returns', async () => {
    const bus = relayBus();
    const eventBridge = stubEventBridge(bus);
    eventBridge.hold = true;
    const handler = createSqsHandler(bus);
    let returned = false;
    const invocation = handler(deliveries(bus, [1, 2, 3])).then((response) => {
      returned = true;
      return response;
    });
    // The listeners have fired and the handler's flush sent their events at once (not after the
    // linger): it is waiting for EventBridge and has not returned.
    for (let i = 0; i < 50 && eventBridge.entries.length < 3; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(eventBridge.entries.map((e) => (JSON.parse(e.Detail as string) as { parameters: { n: number } }).parameters.n).sort()).toEqual([101, 102, 103]);
    expect(returned).toBe(false);
    eventBridge.release();
    await expect(invocation).resolves.toEqual({ batchItemFailures: [] });
    expect(bus.transports.publisher.bufferedCount).toBe(0);
  });

  it('reports the records whose listeners fired undelivered events, and only those', async () => {
    const bus = relayBus();
    stubEventBridge(bus, (n) => n === 102);
    const response = await createSqsHandler(bus)(deliveries(bus, [1, 2, 3]));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
  });

  it('reports each record\'s outcome after the flush: a record failed for its undelivered events is a retry', async () => {
    const bus = relayBus();
    stubEventBridge(bus, (n) => n === 102);
    const outcomes: Record<string, DispatchOutcome> = {};
    const handler = createSqsHandler(bus, { onOutcome: (message, outcome) => void (outcomes[message.messageId] = outcome) });
    await handler(deliveries(bus, [1, 2, 3]));
    expect(Object.keys(outcomes).sort()).toEqual(['m-1', 'm-2', 'm-3']);
    expect(outcomes['m-1']).toEqual({ kind: 'done' });
    expect(outcomes['m-3']).toEqual({ kind: 'done' });
    const failed = outcomes['m-2'] as Extract<DispatchOutcome, { kind: 'retry' }>;
    expect(failed.kind).toBe('retry');
    expect(failed.error).toBeInstanceOf(UndeliveredEventsError);
    expect((failed.error as UndeliveredEventsError).events.map((e) => e.origin)).toEqual(['m-2']);
  });

  it('a record whose events are still undelivered on its last allowed receive is dead-lettered with the cause, not retried', async () => {
    const bus = relayBus({ maxReceives: 1 });
    const sqsSent: { input: unknown }[] = [];
    stubEventBridge(bus, (n) => n === 102, sqsSent);
    const outcomes: Record<string, DispatchOutcome> = {};
    const handler = createSqsHandler(bus, { onOutcome: (message, outcome) => void (outcomes[message.messageId] = outcome) });
    await expect(handler(deliveries(bus, [1, 2]))).resolves.toEqual({ batchItemFailures: [] });
    expect(outcomes['m-2']).toMatchObject({ kind: 'deadLettered', reason: 'retries-exhausted' });
    const deadLettered = sqsSent.map((c) => c.input as { MessageAttributes?: Record<string, { StringValue?: string }> }).find((i) => i.MessageAttributes);
    expect(deadLettered?.MessageAttributes?.[DeadLetterAttributes.Reason]?.StringValue).toBe('retries-exhausted');
  });

  it('fails the invocation when an undelivered event cannot be traced to a record', async () => {
    const bus = relayBus();
    stubEventBridge(bus, (n) => n === 7);
    // Fired outside any record (e.g. at module scope): only a retry of the whole batch covers it.
    await bus.math.happened.fire({ n: 7, label: 'relayed' });
    await expect(createSqsHandler(bus)(deliveries(bus, [1]))).rejects.toBeInstanceOf(UndeliveredEventsError);
  });
});
