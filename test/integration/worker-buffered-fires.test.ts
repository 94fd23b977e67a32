/**
 * The local worker with buffered fire delivery: a listener's message is deleted only once the
 * events its handler fired are accepted by EventBridge, and received again if they are not (the
 * Lambda handler's batch item failures, in a long-running process). Everything runs against the
 * emulator; only the relay's EventBridge client is tapped, to refuse or hold chosen entries and to
 * record, with the relay's SQS deletes, the order in which things happened.
 */
import type { PutEventsRequest, PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import type { DeleteMessageBatchRequest } from '@aws-sdk/client-sqs';
import { lightbus, UndeliveredEventsError, type DispatchOutcome, type InboundMessage } from '../../runtime';
import { parseEventDelivery } from '../../runtime/messages';
import { eventually, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

/** What the test sees of the relay: its fires at EventBridge and its deletes, in order. */
interface Tap {
  /** `accepted:<label>:<n>`, `refused:<label>:<n>` and `deleted:<receipt handle>`, as they happen. */
  readonly log: string[];
  /** Entries to refuse (on every attempt), by their parameters. */
  refuse: (parameters: { n: number; label?: string }) => boolean;
  /** Entries to hold back until the promise resolves, by their parameters. */
  hold: (parameters: { n: number; label?: string }) => Promise<void> | undefined;
}

/** A bus that owns the math API with buffered delivery and relays each `happened` as n + 100. */
function relayBus(listen: { maxReceives?: number } = {}) {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'relay', apis: [mathApi], fire: { delivery: 'buffered' } })));
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });
  bus.math.happened.listen(
    // The label says which receive fired it, so the tap can refuse the first receive's only.
    async (event, { n, label }) => {
      if (label === undefined) await bus.math.happened.fire({ n: n + 100, label: `receive-${event.receiveCount}` });
    },
    { listenerName: 'relay', retryDelaySeconds: 0, ...listen },
  );
  return bus;
}

function tap(bus: ReturnType<typeof relayBus>): Tap {
  const result: Tap = { log: [], refuse: () => false, hold: () => undefined };
  const parameters = (entry: PutEventsRequestEntry) => (JSON.parse(entry.Detail ?? '{}') as { parameters: { n: number; label?: string } }).parameters;
  bus.transports.clients.eventBridge.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutEventsCommand') return next(args);
      const input = args.input as PutEventsRequest;
      const entries = input.Entries ?? [];
      const params = entries.map(parameters);
      await Promise.all(params.map((p) => result.hold(p)));
      const refused = params.map((p) => result.refuse(p));
      const sent = entries.filter((_, i) => !refused[i]);
      const answers = sent.length > 0 ? (((await next({ ...args, input: { ...input, Entries: sent } })).output as { Entries?: PutEventsResultEntry[] }).Entries ?? []) : [];
      let answered = 0;
      const merged = entries.map((_, i): PutEventsResultEntry => {
        const p = params[i] as { n: number; label?: string };
        if (refused[i]) {
          result.log.push(`refused:${p.label}:${p.n}`);
          return { ErrorCode: 'AccessDeniedException', ErrorMessage: 'refused by the test' };
        }
        const answer = answers[answered++] ?? {};
        if (answer.EventId) result.log.push(`accepted:${p.label}:${p.n}`);
        return answer;
      });
      return { output: { $metadata: {}, Entries: merged, FailedEntryCount: refused.filter(Boolean).length }, response: {} } as unknown as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'testEventBridgeTap' },
  );
  bus.transports.clients.sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName === 'DeleteMessageBatchCommand') {
        for (const entry of (args.input as DeleteMessageBatchRequest).Entries ?? []) result.log.push(`deleted:${entry.ReceiptHandle}`);
      }
      return out;
    },
    { step: 'initialize', name: 'testSqsTap' },
  );
  return result;
}

/** Fires `happened` from another service of the same bus (confirmed delivery). */
function sourceOf(busName: string) {
  const source = track(lightbus.create(testBusOptions({ busName, serviceName: 'source', apis: [mathApi] })));
  source.register(mathApi, { add: () => 0, fail: () => undefined, slow: () => '' });
  return source;
}

const nOf = (message: InboundMessage) => (parseEventDelivery(message.body).parameters as { n: number }).n;

/** The tap counts every PutEvents of the relay's client: keep its worker-state events out of it. */
const NO_STATE_EVENTS = { workerState: false } as const;

describe('the local worker with buffered fire delivery', () => {
  it('dead-letters a message whose events are still undelivered on its last allowed receive, as a failing handler\'s', async () => {
    const relay = relayBus({ maxReceives: 1 });
    tap(relay).refuse = (p) => p.label !== undefined;
    const processed: DispatchOutcome[] = [];
    const worker = await startWorker(relay, NO_STATE_EVENTS);
    worker.on('message_processed', (message, outcome) => nOf(message) === 1 && processed.push(outcome));

    await sourceOf(relay.settings.busName).math.happened.fire({ n: 1 });
    await eventually(() => processed.length >= 1, 20_000, 'the message to be processed');

    expect(processed[0]).toMatchObject({ kind: 'deadLettered', reason: 'retries-exhausted' });
    expect((processed[0] as { error: Error }).error).toBeInstanceOf(UndeliveredEventsError);
  });

  it('does not delete a message whose listener fired an undelivered event; the listener runs again', async () => {
    const relay = relayBus();
    const relayTap = tap(relay);
    relayTap.refuse = (p) => p.label === 'receive-1';
    // The relay hears its own relayed events too (n > 100): only the source's message matters here.
    const received: InboundMessage[] = [];
    const processed: { message: InboundMessage; outcome: DispatchOutcome }[] = [];
    const worker = await startWorker(relay, NO_STATE_EVENTS);
    worker.on('message_received', (m) => nOf(m) === 1 && received.push(m));
    worker.on('message_processed', (message, outcome) => nOf(message) === 1 && processed.push({ message, outcome }));

    await sourceOf(relay.settings.busName).math.happened.fire({ n: 1 });
    await eventually(() => processed.length >= 2, 20_000, 'the message to be processed twice');

    const [first, second] = processed as [(typeof processed)[0], (typeof processed)[0]];
    expect(second.message.messageId).toBe(first.message.messageId);
    expect([first.message.receiveCount, second.message.receiveCount]).toEqual([1, 2]);
    // The first time the listener succeeded but its event was refused: the message was kept...
    expect(first.outcome).toMatchObject({ kind: 'retry', delaySeconds: 0 });
    const error = (first.outcome as { error: Error }).error;
    expect(error).toBeInstanceOf(UndeliveredEventsError);
    expect((error as UndeliveredEventsError).events).toEqual([
      expect.objectContaining({ api: 'math', event: 'happened', errorCode: 'AccessDeniedException', origin: first.message.messageId }),
    ]);
    // ...and the second time its event was accepted, and the message then deleted.
    expect(second.outcome).toEqual({ kind: 'done' });
    expect(relayTap.log).not.toContain(`deleted:${first.message.receiptHandle}`);
    const mine = relayTap.log.filter((line) => line.startsWith('accepted') || line === `deleted:${second.message.receiptHandle}`);
    expect(mine).toEqual(['accepted:receive-2:101', `deleted:${second.message.receiptHandle}`]);
    expect(received).toHaveLength(2);
    // The retried message's failure was handled by redelivery: stop()'s flush has nothing to report.
    await expect(worker.stop()).resolves.toBeUndefined();
  });

  it("frees the message's slot when its handler returns, and deletes it once its events are accepted", async () => {
    const relay = relayBus();
    const relayTap = tap(relay);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    relayTap.hold = (p) => (p.n === 101 ? held : undefined);
    const processed = new Map<number, DispatchOutcome>();
    const received = new Map<number, InboundMessage>();
    // One message at a time: the second can run only if the first's slot is free while it waits.
    const worker = await startWorker(relay, { ...NO_STATE_EVENTS, concurrency: 1 });
    worker.on('message_received', (m) => received.set(nOf(m), m));
    worker.on('message_processed', (m, outcome) => processed.set(nOf(m), outcome));
    const source = sourceOf(relay.settings.busName);

    await source.math.happened.fire({ n: 1 });
    await eventually(() => received.has(1), 20_000, 'the first message to be received');
    await source.math.happened.fire({ n: 2 });
    await eventually(() => processed.has(2), 20_000, 'the second message to be processed');
    // The first message's handler returned long ago, but its event is held: it is not deleted yet.
    expect(processed.has(1)).toBe(false);
    const deletedSource = (line: string) => line === `deleted:${received.get(1)?.receiptHandle}` || line === `deleted:${received.get(2)?.receiptHandle}`;
    const mine = () => relayTap.log.filter((line) => line.startsWith('accepted') || deletedSource(line));
    expect(mine()).toEqual(['accepted:receive-1:102', `deleted:${received.get(2)?.receiptHandle}`]);

    release();
    await eventually(() => processed.has(1), 20_000, 'the first message to be processed');
    expect(processed.get(1)).toEqual({ kind: 'done' });
    expect(mine().slice(2)).toEqual(['accepted:receive-1:101', `deleted:${received.get(1)?.receiptHandle}`]);
  });
});
