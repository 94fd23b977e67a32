/**
 * Buffered delivery (`fire: { delivery: 'buffered' }`) with a stubbed EventBridge client: fire()
 * resolves once queued, batches go out full or after the linger, flush() confirms or lists what
 * was lost, the buffer is bounded, close() flushes, and bad input still throws at fire().
 */
import type { PutEventsCommand, PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import {
  ConfigurationError,
  lightbus,
  PayloadNotStoredError,
  UndeliveredEventsError,
  ValidationError,
  type AfterEventSentHookContext,
  type Logger,
  type SentEvent,
} from '../../runtime';
import { MAX_LINGER_MS, validateConfig } from '../../runtime/config';
import { mathApi } from '../support/apis';

type Answer = (entry: PutEventsRequestEntry, call: number) => PutEventsResultEntry;

interface StubEventBridge {
  /** Entries of each PutEvents call, in order. */
  readonly calls: PutEventsRequestEntry[][];
  /** While set, calls wait for release() before answering. */
  hold: boolean;
  release(): void;
}

/** Replaces the bus's AWS clients (before anything was sent) with an EventBridge stub. */
function stubEventBridge(bus: { transports: object }, answer: Answer = (_, call) => ({ EventId: `eb-${call}` })): StubEventBridge {
  const waiting: (() => void)[] = [];
  const stub: StubEventBridge = {
    calls: [],
    hold: false,
    release: () => waiting.splice(0).forEach((go) => go()),
  };
  const send = async (command: PutEventsCommand) => {
    const entries = command.input.Entries ?? [];
    stub.calls.push(entries);
    const call = stub.calls.length;
    if (stub.hold) await new Promise<void>((resolve) => waiting.push(resolve));
    return { Entries: entries.map((entry) => answer(entry, call)), FailedEntryCount: 0 };
  };
  Object.defineProperty(bus.transports, 'clients', { value: { eventBridge: { send }, destroy: () => {} }, configurable: true });
  return stub;
}

function recordingLogger(): Logger & { errors: { message: string; fields: Record<string, unknown> }[] } {
  const errors: { message: string; fields: Record<string, unknown> }[] = [];
  return { errors, debug() {}, info() {}, warn() {}, error: (message, fields = {}) => errors.push({ message, fields: { ...fields } }) };
}

function mathBus(fire: { delivery?: 'confirmed' | 'buffered'; lingerMs?: number; maxBuffered?: number } = {}) {
  const logger = recordingLogger();
  const bus = lightbus.create({ busName: 'buffered-unit', serviceName: 'math', apis: [mathApi], logger, fire: { delivery: 'buffered', ...fire } });
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined as never, slow: async () => 'done' });
  return { bus, logger };
}

const detailOf = (entry: PutEventsRequestEntry) => JSON.parse(entry.Detail as string) as { id: string; parameters: { n: number } };
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('buffered delivery', () => {
  it('resolves fire() once queued, so sequential awaited fires fill whole PutEvents batches', async () => {
    const { bus } = mathBus({ lingerMs: MAX_LINGER_MS });
    const eventBridge = stubEventBridge(bus);
    const sent: SentEvent<{ n: number; label?: string | undefined }>[] = [];
    for (let n = 0; n < 25; n += 1) sent.push(await bus.math.happened.fire({ n }));
    // Full batches go out as they fill, without waiting for the (here the longest allowed) linger.
    expect(eventBridge.calls.map((c) => c.length)).toEqual([10, 10]);
    expect(sent[0]).toMatchObject({ delivery: 'buffered', eventBridgeId: undefined, api: 'math', event: 'happened', parameters: { n: 0 } });
    await bus.flush();
    expect(eventBridge.calls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(eventBridge.calls.flat().map((e) => detailOf(e).parameters.n)).toEqual(Array.from({ length: 25 }, (_, n) => n));
    expect(eventBridge.calls.flat().map((e) => detailOf(e).id)).toEqual(sent.map((s) => s.id));
    await bus.close();
  });

  it('sends a partly filled batch after the linger, without a flush', async () => {
    const { bus } = mathBus({ lingerMs: 20 });
    const eventBridge = stubEventBridge(bus);
    for (let n = 0; n < 3; n += 1) await bus.math.happened.fire({ n });
    await nextTurn();
    expect(eventBridge.calls).toHaveLength(0);
    await sleep(300);
    expect(eventBridge.calls.map((c) => c.length)).toEqual([3]);
    await bus.close();
  });

  it('flush() resolves once EventBridge has accepted everything fired so far', async () => {
    const { bus } = mathBus({ lingerMs: MAX_LINGER_MS });
    const eventBridge = stubEventBridge(bus);
    eventBridge.hold = true;
    for (let n = 0; n < 12; n += 1) await bus.math.happened.fire({ n });
    let flushed = false;
    const flush = bus.flush().then(() => (flushed = true));
    await nextTurn();
    expect(eventBridge.calls.map((c) => c.length)).toEqual([10, 2]);
    expect(flushed).toBe(false);
    eventBridge.release();
    await flush;
    expect(flushed).toBe(true);
    await bus.close();
  });

  it('flush() rejects listing each undelivered event (api, event, id, error code) after the retries, once', async () => {
    const { bus, logger } = mathBus({ lingerMs: MAX_LINGER_MS });
    const eventBridge = stubEventBridge(bus, (entry, call) =>
      detailOf(entry).parameters.n % 2 === 1 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' } : { EventId: `eb-${call}` },
    );
    const afterHooks: AfterEventSentHookContext[] = [];
    bus.hooks.on('afterEventSent', (context) => {
      afterHooks.push(context);
    });
    const sent: SentEvent<{ n: number; label?: string | undefined }>[] = [];
    for (let n = 0; n < 4; n += 1) sent.push(await bus.math.happened.fire({ n }));
    const error = (await bus.flush().catch((e: unknown) => e)) as UndeliveredEventsError;
    expect(error).toBeInstanceOf(UndeliveredEventsError);
    expect(error.code).toBe('EVENTS_UNDELIVERED');
    expect(error.events).toEqual([1, 3].map((n) => ({ api: 'math', event: 'happened', id: sent[n]?.id, errorCode: 'ThrottlingException', errorMessage: 'slow down' })));
    expect(error.message).toContain(`math.happened ${sent[1]?.id} (ThrottlingException: slow down)`);
    // The normal per-entry retries happened first (4 attempts each for the failing two).
    expect(eventBridge.calls.flat().filter((e) => detailOf(e).id === sent[1]?.id)).toHaveLength(4);
    // Never silent: logged, and the afterEventSent hook saw each outcome.
    expect(logger.errors.filter((e) => /not delivered/.test(e.message)).map((e) => e.fields.eventId)).toEqual([sent[1]?.id, sent[3]?.id]);
    expect(afterHooks.map((h) => [h.eventId, h.outcome.ok]).sort()).toEqual(sent.map((s) => [s.id, s.parameters.n % 2 === 0]).sort());
    // Each failure is reported once.
    await expect(bus.flush()).resolves.toBeUndefined();
    await bus.close();
  });

  it('bounds the buffer: past maxBuffered, fire() waits for room', async () => {
    const { bus } = mathBus({ lingerMs: 0, maxBuffered: 3 });
    const eventBridge = stubEventBridge(bus);
    eventBridge.hold = true;
    for (let n = 0; n < 3; n += 1) await bus.math.happened.fire({ n });
    let fourth = false;
    const waiting = bus.math.happened.fire({ n: 3 }).then(() => (fourth = true));
    await sleep(50);
    expect(fourth).toBe(false);
    expect(eventBridge.calls.flat()).toHaveLength(3);
    eventBridge.release();
    await waiting;
    expect(fourth).toBe(true);
    eventBridge.hold = false;
    await bus.flush();
    expect(eventBridge.calls.flat().map((e) => detailOf(e).parameters.n)).toEqual([0, 1, 2, 3]);
    await bus.close();
  });

  it('close() flushes first, then refuses fires', async () => {
    const { bus } = mathBus({ lingerMs: MAX_LINGER_MS });
    const eventBridge = stubEventBridge(bus);
    await bus.math.happened.fire({ n: 1 });
    expect(eventBridge.calls).toHaveLength(0);
    await bus.close();
    expect(eventBridge.calls.map((c) => c.length)).toEqual([1]);
    await expect(bus.math.happened.fire({ n: 2 })).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('close() rejects with the undelivered events, after closing', async () => {
    const { bus } = mathBus({ lingerMs: MAX_LINGER_MS });
    stubEventBridge(bus, () => ({ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }));
    await bus.math.happened.fire({ n: 1 });
    await expect(bus.close()).rejects.toBeInstanceOf(UndeliveredEventsError);
  });

  it('still throws invalid input at fire(), naming API, event and parameter, and sends nothing', async () => {
    const { bus } = mathBus();
    const eventBridge = stubEventBridge(bus);
    const invalid = await bus.math.happened.fire({ n: 'one' as unknown as number }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as Error).message).toMatch(/^Invalid event parameters for math\.happened: \$\.n: /);
    // Too large for EventBridge: it goes to the payload bucket (#12), which this stub has none of.
    const tooLarge = await bus.math.happened.fire({ n: 1, label: 'x'.repeat(300 * 1024) }).catch((e: unknown) => e);
    expect(tooLarge).toBeInstanceOf(PayloadNotStoredError);
    expect((tooLarge as Error).message).toMatch(/^math\.happened \([0-9a-f-]{36}\): the event parameters are too large to travel inline and could not be stored/);
    await bus.flush();
    // No event entry went out (the store's bucket lookup, DescribeEventBus, carries none).
    expect(eventBridge.calls.flat()).toHaveLength(0);
    await bus.close();
  });

  it('lets one fire() override the bus default, both ways', async () => {
    const { bus } = mathBus({ delivery: 'confirmed', lingerMs: MAX_LINGER_MS });
    const eventBridge = stubEventBridge(bus);
    const buffered = await bus.math.happened.fire({ n: 1 }, { delivery: 'buffered' });
    expect(buffered).toMatchObject({ delivery: 'buffered', eventBridgeId: undefined });
    expect(eventBridge.calls).toHaveLength(0);
    const confirmed = await bus.math.happened.fire({ n: 2 });
    expect(confirmed).toMatchObject({ delivery: 'confirmed', eventBridgeId: expect.stringMatching(/^eb-/) });
    await bus.flush();
    expect(eventBridge.calls.flat().map((e) => detailOf(e).parameters.n).sort()).toEqual([1, 2]);
    await expect(bus.math.happened.fire({ n: 3 }, { delivery: 'later' as never })).rejects.toThrow(
      'math.happened.fire(): delivery must be one of confirmed, buffered; got "later".',
    );
    await bus.close();
  });

  it('records the fire origin on undelivered events (what the Lambda handler traces records by)', async () => {
    const { bus } = mathBus({ lingerMs: MAX_LINGER_MS });
    stubEventBridge(bus, () => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }));
    await bus.withFireOrigin('message-1', async () => {
      await nextTurn();
      await bus.math.happened.fire({ n: 1 });
    });
    await bus.math.happened.fire({ n: 2 });
    const error = (await bus.flush().catch((e: unknown) => e)) as UndeliveredEventsError;
    expect(error.events.map((e) => e.origin)).toEqual(['message-1', undefined]);
    await bus.close();
  });
});

describe('buffered delivery: flush and close edges', () => {
  it('a second close() settles only with the first one\'s flush, and with its outcome', async () => {
    const { bus } = mathBus({ lingerMs: MAX_LINGER_MS });
    const eventBridge = stubEventBridge(bus, () => ({ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }));
    eventBridge.hold = true;
    await bus.math.happened.fire({ n: 1 });
    const first = bus.close().catch((e: unknown) => e);
    let secondSettled = false;
    const second = bus.close().catch((e: unknown) => e).finally(() => (secondSettled = true));
    for (let i = 0; i < 5; i += 1) await nextTurn();
    expect(secondSettled).toBe(false);
    eventBridge.hold = false; // the retries are answered at once
    eventBridge.release();
    const [firstError, secondError] = await Promise.all([first, second]);
    expect(firstError).toBeInstanceOf(UndeliveredEventsError);
    expect(secondError).toBe(firstError);
  });

  it('with only an afterEventSent hook, a flush() right after an unawaited fire() covers it', async () => {
    const { bus } = mathBus({ lingerMs: MAX_LINGER_MS });
    const eventBridge = stubEventBridge(bus);
    const seen: boolean[] = [];
    bus.hooks.on('afterEventSent', (context) => {
      seen.push(context.outcome.ok);
    });
    void bus.math.happened.fire({ n: 1 });
    await bus.flush();
    expect(eventBridge.calls.flat().map((e) => detailOf(e).parameters.n)).toEqual([1]);
    await bus.close();
    expect(seen).toEqual([true]);
  });

  it('with only an afterEventSent hook, an event whose large parameters cannot be stored still rejects fire() and reaches the hook', async () => {
    const { bus } = mathBus();
    stubEventBridge(bus);
    const outcomes: boolean[] = [];
    bus.hooks.on('afterEventSent', (context) => {
      outcomes.push(context.outcome.ok);
    });
    // Over EventBridge's limit, so for the payload bucket (#12), which this stub has none of.
    await expect(bus.math.happened.fire({ n: 1, label: 'x'.repeat(300 * 1024) })).rejects.toBeInstanceOf(PayloadNotStoredError);
    expect(outcomes).toEqual([false]);
    await bus.close();
  });

  it('a beforeEventSent hook that throws aborts a buffered fire: nothing is queued, and afterEventSent sees the failure', async () => {
    const { bus } = mathBus({ lingerMs: 0 });
    const eventBridge = stubEventBridge(bus);
    const outcomes: boolean[] = [];
    bus.hooks.on('beforeEventSent', () => {
      throw new Error('not now');
    });
    bus.hooks.on('afterEventSent', (context) => {
      outcomes.push(context.outcome.ok);
    });
    await expect(bus.math.happened.fire({ n: 1 })).rejects.toThrow('not now');
    await bus.flush();
    expect(eventBridge.calls).toHaveLength(0);
    expect(outcomes).toEqual([false]);
    await bus.close();
  });

  it('with a beforeEventSent hook, the event is queued after it ran, and afterEventSent sees the delivery', async () => {
    const { bus } = mathBus({ lingerMs: 0 });
    const eventBridge = stubEventBridge(bus);
    const order: string[] = [];
    bus.hooks.on('beforeEventSent', () => void order.push('before'));
    bus.hooks.on('afterEventSent', (context) => void order.push(`after:${context.outcome.ok}`));
    await bus.math.happened.fire({ n: 1 });
    await bus.flush();
    await bus.close();
    expect(eventBridge.calls.flat().map((e) => detailOf(e).parameters.n)).toEqual([1]);
    expect(order).toEqual(['before', 'after:true']);
  });

  it('flush() says how many failures were not retained (more than maxBuffered failed between flushes)', async () => {
    const { bus, logger } = mathBus({ lingerMs: 0, maxBuffered: 2 });
    stubEventBridge(bus, () => ({ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }));
    for (let n = 0; n < 5; n += 1) await bus.math.happened.fire({ n });
    for (let i = 0; i < 200 && logger.errors.length < 5; i += 1) await sleep(5);
    const error = (await bus.flush().catch((e: unknown) => e)) as UndeliveredEventsError;
    expect(error).toBeInstanceOf(UndeliveredEventsError);
    expect(error.events).toHaveLength(2);
    expect(error.notRetained).toBe(3);
    expect(error.message).toMatch(/^5 event\(s\) fired with buffered delivery were not confirmed as accepted by EventBridge/);
    expect(error.message).toContain('; and 3 more not retained (see the log)');
    // Every failure was logged as it happened, retained or not.
    expect(logger.errors.filter((e) => /not delivered/.test(e.message))).toHaveLength(5);
    await bus.close();
  });
});

describe('UndeliveredEventsError', () => {
  const event = { api: 'math', event: 'happened', id: 'e1', errorCode: 'ThrottlingException', errorMessage: 'slow down' };

  it('says "not confirmed as accepted", not "not sent", and names each origin', () => {
    const error = new UndeliveredEventsError([{ ...event, origin: 'message-7' }]);
    expect(error.message).toContain('not confirmed as accepted by EventBridge');
    expect(error.message).not.toMatch(/were not sent/);
    expect(error.message).toContain('math.happened e1 (ThrottlingException: slow down, origin message-7)');
    expect(error.message).not.toContain('may still arrive');
  });

  it('says Timeout entries may still arrive', () => {
    const error = new UndeliveredEventsError([{ ...event, errorCode: 'Timeout', errorMessage: 'EventBridge did not answer within eventFireTimeout; the event may still be delivered' }]);
    expect(error.message).toContain('may still arrive');
  });
});

describe('fire settings', () => {
  it('defaults to confirmed delivery', () => {
    const bus = lightbus.create({ busName: 'fire-defaults' });
    expect(bus.settings.fire).toEqual({ delivery: 'confirmed', lingerMs: 5, maxBuffered: 1000 });
  });

  it('reads bus.fire from the configuration file', () => {
    expect(validateConfig({ bus: { fire: { delivery: 'buffered', linger: '20ms', maxBuffered: 50 } } }, 'c.yaml').fire).toEqual({
      delivery: 'buffered',
      lingerMs: 20,
      maxBuffered: 50,
    });
    expect(validateConfig({ bus: { fire: { linger: '0ms' } } }, 'c.yaml').fire).toEqual({ lingerMs: 0 });
    expect(() => validateConfig({ bus: { fire: { delivery: 'eventually', maxBuffered: 0 } } }, 'c.yaml')).toThrow(
      /bus\.fire\.delivery: fire delivery "eventually" is not supported; allowed: confirmed, buffered[\s\S]*bus\.fire\.maxBuffered: must be at least 1/,
    );
  });

  it('checks create() options, naming the setting', () => {
    expect(() => lightbus.create({ fire: { maxBuffered: 0 } })).toThrow(ConfigurationError);
    expect(() => lightbus.create({ fire: { maxBuffered: 0 } })).toThrow('create(): fire.maxBuffered must be a whole number ≥ 1; got 0.');
    expect(() => lightbus.create({ fire: { delivery: 'later' as never } })).toThrow(/fire\.delivery "later" is not supported; allowed: confirmed, buffered/);
    expect(() => lightbus.create({ fire: { lingerMs: -1 } })).toThrow(/fire\.lingerMs must be a number of milliseconds from 0 to 1000; got -1/);
  });

  it('caps the linger at 1000 ms, in create() and in the file', () => {
    expect(MAX_LINGER_MS).toBe(1000);
    expect(lightbus.create({ fire: { lingerMs: 1000 } }).settings.fire.lingerMs).toBe(1000);
    expect(() => lightbus.create({ fire: { lingerMs: 60_000 } })).toThrow(
      'create(): fire.lingerMs must be a number of milliseconds from 0 to 1000; got 60000.',
    );
    // Past 2^31 ms, setTimeout would fire at once.
    expect(() => lightbus.create({ fire: { lingerMs: 2 ** 31 } })).toThrow(ConfigurationError);
    expect(validateConfig({ bus: { fire: { linger: '1s' } } }, 'c.yaml').fire).toEqual({ lingerMs: 1000 });
    expect(() => validateConfig({ bus: { fire: { linger: '2s' } } }, 'c.yaml')).toThrow(/bus\.fire\.linger: must be at most 1000ms/);
  });
});
