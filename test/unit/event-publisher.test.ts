import type { PutEventsCommand, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { EventFireError, MessageTooLargeError } from '../../runtime';
import { MAX_LINGER_MS } from '../../runtime/config';
import { EventPublisher, MAX_PUT_EVENTS_BYTES, putEventsEntrySize, type AwsClients, type DeliveryListener } from '../../runtime/transport';

/** A stub EventBridge client (unit test): records each PutEvents call and answers per entry. */
function stubClients(answer: (entries: NonNullable<PutEventsCommand['input']['Entries']>, call: number) => PutEventsResultEntry[]) {
  const calls: NonNullable<PutEventsCommand['input']['Entries']>[] = [];
  const clients = {
    eventBridge: {
      send: async (command: PutEventsCommand) => {
        const entries = command.input.Entries ?? [];
        calls.push(entries);
        return { Entries: answer(entries, calls.length), FailedEntryCount: 0 };
      },
    },
  } as unknown as AwsClients;
  return { clients, calls };
}

const ok = (entries: unknown[]) => entries.map((_, i) => ({ EventId: `id-${i}` }));

describe('EventPublisher', () => {
  it('batches entries fired together into PutEvents calls of at most 10', async () => {
    const { clients, calls } = stubClients((entries) => ok(entries));
    const publisher = new EventPublisher(clients, () => 'bus');
    const ids = await Promise.all(
      Array.from({ length: 23 }, (_, i) => publisher.publish({ Source: 's', DetailType: 'd', Detail: `{"i":${i}}` }, { api: 'a', event: 'e' })),
    );
    expect(ids).toHaveLength(23);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(calls[0]![0]!.EventBusName).toBe('bus');
  });

  it('splits calls so no request exceeds 256 KB', async () => {
    const { clients, calls } = stubClients((entries) => ok(entries));
    const publisher = new EventPublisher(clients, () => 'bus');
    const big = 'x'.repeat(100 * 1024);
    await Promise.all([1, 2, 3].map(() => publisher.publish({ Source: 's', DetailType: 'd', Detail: big }, { api: 'a', event: 'e' })));
    expect(calls.map((c) => c.length)).toEqual([2, 1]);
  });

  it('rejects an entry over the limit before sending, naming the event', async () => {
    const { clients, calls } = stubClients((entries) => ok(entries));
    const publisher = new EventPublisher(clients, () => 'bus');
    const entry = { Source: 's', DetailType: 'd', Detail: 'x'.repeat(MAX_PUT_EVENTS_BYTES) };
    expect(putEventsEntrySize(entry)).toBeGreaterThan(MAX_PUT_EVENTS_BYTES);
    const error = await publisher.publish(entry, { api: 'customers', event: 'newCustomer' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as Error).message).toMatch(/^customers\.newCustomer: the EventBridge entry is \d+ bytes; the limit is 262144/);
    expect(calls).toHaveLength(0);
  });

  it('retries only the entries that failed', async () => {
    const { clients, calls } = stubClients((entries, call) =>
      entries.map((entry, i) =>
        call === 1 && entry.Detail === '"b"' ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' } : { EventId: `id-${call}-${i}` },
      ),
    );
    const publisher = new EventPublisher(clients, () => 'bus', { baseRetryDelayMs: 1 });
    const results = await Promise.all(['"a"', '"b"', '"c"'].map((d) => publisher.publish({ Source: 's', DetailType: 'd', Detail: d }, { api: 'a', event: 'e' })));
    expect(calls.map((c) => c.map((e) => e.Detail))).toEqual([['"a"', '"b"', '"c"'], ['"b"']]);
    expect(results).toEqual(['id-1-0', 'id-2-0', 'id-1-2']);
  });

  it('gives up after maxAttempts with the last error code', async () => {
    const { clients, calls } = stubClients((entries) => entries.map(() => ({ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' })));
    const publisher = new EventPublisher(clients, () => 'bus', { maxAttempts: 3, baseRetryDelayMs: 1 });
    const error = await publisher.publish({ Source: 's', DetailType: 'd', Detail: '{}' }, { api: 'a', event: 'e' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventFireError);
    expect((error as Error).message).toBe('Firing a.e failed: ThrottlingException: slow down');
    expect(calls).toHaveLength(3);
  });

  it('keeps at most maxCallsInFlight PutEvents calls in flight during a burst', async () => {
    let inFlight = 0;
    let peak = 0;
    const clients = {
      eventBridge: {
        send: async (command: PutEventsCommand) => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, 2));
          inFlight -= 1;
          return { Entries: ok(command.input.Entries ?? []) };
        },
      },
    } as unknown as AwsClients;
    const publisher = new EventPublisher(clients, () => 'bus', { maxCallsInFlight: 3 });
    const ids = await Promise.all(
      Array.from({ length: 200 }, (_, i) => publisher.publish({ Source: 's', DetailType: 'd', Detail: `${i}` }, { api: 'a', event: 'e' })),
    );
    expect(ids).toHaveLength(200);
    expect(peak).toBe(3);
  });

  it('at the deadline, drops an entry still waiting (never sent later) and says so', async () => {
    let release: () => void = () => undefined;
    const sent: string[] = [];
    const clients = {
      eventBridge: {
        send: async (command: PutEventsCommand) => {
          sent.push(...(command.input.Entries ?? []).map((e) => e.Detail ?? ''));
          await new Promise<void>((r) => (release = r));
          return { Entries: ok(command.input.Entries ?? []) };
        },
      },
    } as unknown as AwsClients;
    const publisher = new EventPublisher(clients, () => 'bus', { maxCallsInFlight: 1 });
    const first = publisher.publish({ Source: 's', DetailType: 'd', Detail: '"first"' }, { api: 'a', event: 'e' }, Date.now() + 10_000);
    await new Promise((r) => setImmediate(r)); // the first call is now in flight, holding the only slot
    const second = publisher.publish({ Source: 's', DetailType: 'd', Detail: '"second"' }, { api: 'a', event: 'e' }, Date.now() + 50);
    await expect(second).rejects.toThrow('Firing a.e failed: Timeout: not sent: it was still waiting to be sent when eventFireTimeout passed');
    release();
    await expect(first).resolves.toBe('id-0');
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toEqual(['"first"']);
  });

  it('at the deadline, rejects an entry whose PutEvents call is still under way as "may still be delivered"', async () => {
    const clients = { eventBridge: { send: () => new Promise(() => undefined) } } as unknown as AwsClients;
    const publisher = new EventPublisher(clients, () => 'bus');
    await expect(publisher.publish({ Source: 's', DetailType: 'd', Detail: '1' }, { api: 'a', event: 'e' }, Date.now() + 40)).rejects.toThrow(
      'may still be delivered',
    );
  });

  it('does not resend an entry whose fire() already timed out, even if EventBridge then reports it failed', async () => {
    let calls = 0;
    const clients = {
      eventBridge: {
        send: async (command: PutEventsCommand) => {
          calls += 1;
          await new Promise((r) => setTimeout(r, 80)); // outlives the entry's deadline
          return { Entries: (command.input.Entries ?? []).map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' })) };
        },
      },
    } as unknown as AwsClients;
    const publisher = new EventPublisher(clients, () => 'bus', { baseRetryDelayMs: 1 });
    await expect(publisher.publish({ Source: 's', DetailType: 'd', Detail: '1' }, { api: 'a', event: 'e' }, Date.now() + 30)).rejects.toThrow(
      'may still be delivered',
    );
    await new Promise((r) => setTimeout(r, 150));
    expect(calls).toBe(1);
  });
});

describe('EventPublisher: per-origin settlement (watch)', () => {
  /** Refuses, on every attempt, the entries whose Detail is in `refused`. */
  const refusing = (refused: readonly string[]) =>
    stubClients((entries, call) =>
      entries.map((e, i) => (refused.includes(e.Detail ?? '') ? { ErrorCode: 'AccessDeniedException', ErrorMessage: 'refused' } : { EventId: `id-${call}-${i}` })),
    );

  /** Buffers one entry whose Detail is `detail` (also its event id), fired under `origin`. */
  const fire = (publisher: EventPublisher, detail: string, origin?: string) =>
    publisher.buffer({ Source: 's', DetailType: 'd', Detail: detail }, { api: 'a', event: 'e', eventId: detail, ...(origin ? { origin } : {}) }, 10_000);

  it("resolves with [] once the origin's entries are accepted, sending nothing early", async () => {
    const { clients, calls } = refusing([]);
    const publisher = new EventPublisher(clients, () => 'bus', { lingerMs: MAX_LINGER_MS });
    const watch = publisher.watch('m1');
    fire(publisher, '"a"', 'm1');
    fire(publisher, '"b"', 'other');
    let settled: unknown;
    void watch.settled().then((failed) => (settled = failed));
    await new Promise((r) => setImmediate(r));
    // settled() waits for the batch's own linger: it does not send anyone's batch early.
    expect(calls).toHaveLength(0);
    expect(settled).toBeUndefined();
    await publisher.flush();
    expect(settled).toEqual([]);
  });

  it('a watched failure past the retention cap goes to its watch and is not counted as lost to flushes', async () => {
    const { clients } = refusing(['"x"', '"w"']);
    const publisher = new EventPublisher(clients, () => 'bus', { lingerMs: 0, maxAttempts: 1, maxBuffered: 1 });
    const watch = publisher.watch('m1');
    await fire(publisher, '"x"');
    await fire(publisher, '"w"', 'm1');
    const watched = watch.settled();
    expect((await watched).map((e) => e.id)).toEqual(['"w"']);
    expect(await publisher.flush()).toEqual({ events: [expect.objectContaining({ id: '"x"' })], notRetained: 0 });
  });

  it("returns only the origin's failures, which a later flush() no longer reports", async () => {
    const { clients } = refusing(['"a2"', '"b1"']);
    const publisher = new EventPublisher(clients, () => 'bus', { lingerMs: 0, maxAttempts: 2, baseRetryDelayMs: 1 });
    const watchA = publisher.watch('a');
    for (const detail of ['"a1"', '"a2"']) fire(publisher, detail, 'a');
    fire(publisher, '"b1"', 'b');
    const failedA = await watchA.settled();
    expect(failedA.map((e) => [e.id, e.origin, e.errorCode])).toEqual([['"a2"', 'a', 'AccessDeniedException']]);
    // Origin b was not watched: its failure is flush()'s to report, and a's is not any more.
    expect((await publisher.flush()).events.map((e) => e.id)).toEqual(['"b1"']);
  });

  it('wins over a flush() waiting for the same entries', async () => {
    const { clients } = refusing(['"a1"']);
    const publisher = new EventPublisher(clients, () => 'bus', { lingerMs: MAX_LINGER_MS, maxAttempts: 1 });
    const watch = publisher.watch('a');
    fire(publisher, '"a1"', 'a');
    fire(publisher, '"x"');
    const settled = watch.settled();
    const flushed = publisher.flush();
    expect((await settled).map((e) => e.id)).toEqual(['"a1"']);
    expect((await flushed).events).toEqual([]);
  });

  it('still reports a failure that a flush() returned before settled() was called', async () => {
    const { clients } = refusing(['"a1"']);
    const publisher = new EventPublisher(clients, () => 'bus', { lingerMs: 0, maxAttempts: 1 });
    const watch = publisher.watch('a');
    fire(publisher, '"a1"', 'a');
    // A flush inside the listener (the origin's work is still running) reports it...
    expect((await publisher.flush()).events.map((e) => e.id)).toEqual(['"a1"']);
    // ...and the watch too: whoever holds it must know, to retry the message.
    expect((await watch.settled()).map((e) => e.id)).toEqual(['"a1"']);
  });

  it('counts only entries fired between watch() and settled(), and entries waiting for room', async () => {
    const { clients, calls } = refusing([]);
    const publisher = new EventPublisher(clients, () => 'bus', { lingerMs: MAX_LINGER_MS, maxBuffered: 1 });
    fire(publisher, '"before"', 'a');
    const watch = publisher.watch('a');
    const room = fire(publisher, '"waiting"', 'a'); // maxBuffered is 1: this one waits for room
    expect(room).toBeInstanceOf(Promise);
    let failed: unknown;
    const settled = watch.settled().then((f) => (failed = f));
    fire(publisher, '"after"', 'a'); // fired after settled(): not waited for (it waits for room, then lingers a minute)
    publisher.sendNow(); // "before" goes; its room admits "waiting", which lingers
    await room;
    expect(calls.map((c) => c.map((e) => e.Detail))).toEqual([['"before"']]);
    expect(failed).toBeUndefined();
    publisher.sendNow(); // "waiting" goes; "after" is admitted and lingers
    await settled;
    expect(failed).toEqual([]);
    expect(calls.map((c) => c.map((e) => e.Detail))).toEqual([['"before"'], ['"waiting"']]);
    await publisher.flush();
  });

  it('resolves at once when nothing was fired, and keeps two watches of one origin apart', async () => {
    const { clients } = refusing(['"a1"']);
    const publisher = new EventPublisher(clients, () => 'bus', { lingerMs: 0, maxAttempts: 1 });
    await expect(publisher.watch('idle').settled()).resolves.toEqual([]);
    const first = publisher.watch('a');
    const second = publisher.watch('a');
    fire(publisher, '"a1"', 'a');
    expect((await first.settled()).map((e) => e.id)).toEqual(['"a1"']);
    expect((await second.settled()).map((e) => e.id)).toEqual(['"a1"']);
    await expect(first.settled()).rejects.toThrow('settled() was already called');
  });
});

describe('EventPublisher: buffered flush(), retention and linger', () => {
  /** Refuses `refused`; holds each call carrying a `held` entry until release(); accepts the rest. */
  function stub(refused: readonly string[], held: readonly string[] = []) {
    const waiting: (() => void)[] = [];
    const sent: string[][] = [];
    const clients = {
      eventBridge: {
        send: async (command: PutEventsCommand) => {
          const entries = command.input.Entries ?? [];
          sent.push(entries.map((e) => e.Detail ?? ''));
          if (entries.some((e) => held.includes(e.Detail ?? ''))) await new Promise<void>((r) => waiting.push(r));
          return {
            Entries: entries.map((e, i) => (refused.includes(e.Detail ?? '') ? { ErrorCode: 'AccessDeniedException', ErrorMessage: 'refused' } : { EventId: `id-${i}` })),
          };
        },
      },
    } as unknown as AwsClients;
    return { clients, sent, release: () => waiting.splice(0).forEach((go) => go()) };
  }

  const fire = (publisher: EventPublisher, detail: string, timeoutMs = 10_000, listener?: DeliveryListener) =>
    publisher.buffer({ Source: 's', DetailType: 'd', Detail: detail }, { api: 'a', event: 'e', eventId: detail }, timeoutMs, listener);

  /** Resolves with 'pending' unless `promise` settles within a few turns of the event loop (timers do not fire that soon). */
  const withinTurns = async <T>(promise: Promise<T>): Promise<T | 'pending'> => {
    let turns = 0;
    const pending = new Promise<'pending'>((resolve) => {
      const turn = () => (++turns >= 50 ? resolve('pending') : setImmediate(turn));
      setImmediate(turn);
    });
    return Promise.race([promise, pending]);
  };

  it('gives overlapping flushes the failures of their own entries: one settlement resolves them in fire() order', async () => {
    const { clients, release } = stub(['"a1"'], ['"a2"']);
    const publisher = new EventPublisher(clients, () => 'bus', { lingerMs: MAX_LINGER_MS, maxAttempts: 1 });
    fire(publisher, '"a1"');
    fire(publisher, '"a2"');
    const flushA = publisher.flush(); // a1 and a2 go out together; the call is held
    fire(publisher, '"b1"');
    const flushB = publisher.flush(); // b1 is accepted at once; B still waits for a1 and a2
    await new Promise((r) => setImmediate(r));
    release(); // a1 fails and a2 is accepted: one settlement finishes both flushes
    expect((await flushA).events.map((e) => e.id)).toEqual(['"a1"']);
    expect((await flushB).events).toEqual([]);
  });

  it('retains at most maxBuffered failures between flushes, counts the rest, and still tells onUndelivered of each', async () => {
    const details = ['"1"', '"2"', '"3"', '"4"', '"5"'];
    const { clients } = stub(details);
    const logged: string[] = [];
    const publisher = new EventPublisher(clients, () => 'bus', { lingerMs: 0, maxAttempts: 1, maxBuffered: 2, onUndelivered: (e) => logged.push(e.id) });
    const rooms = details.map((d) => fire(publisher, d));
    await Promise.all(rooms);
    // Nobody flushed while they failed (a long-running server): only two are kept.
    while (publisher.bufferedCount > 0) await new Promise((r) => setImmediate(r));
    const report = await publisher.flush();
    expect(report.events.map((e) => e.id)).toEqual(['"1"', '"2"']);
    expect(report.notRetained).toBe(3);
    expect(logged).toEqual(details);
    expect(await publisher.flush()).toEqual({ events: [], notRetained: 0 });
  });

  it('counts a failure not retained towards the waiting flush that covers it', async () => {
    const { clients, release } = stub(['"1"', '"2"'], ['"2"']);
    const publisher = new EventPublisher(clients, () => 'bus', { lingerMs: 0, maxAttempts: 1, maxBuffered: 1 });
    fire(publisher, '"1"');
    const room = fire(publisher, '"2"');
    const flushed = publisher.flush();
    await room;
    release();
    expect(await flushed).toEqual({ events: [expect.objectContaining({ id: '"1"' })], notRetained: 1 });
  });

  it('sends a batch within half of its first entry’s fire timeout, whatever the linger', async () => {
    const { clients } = stub([]);
    const publisher = new EventPublisher(clients, () => 'bus', { lingerMs: MAX_LINGER_MS });
    const outcome = new Promise<string>((resolve, reject) => fire(publisher, '"short"', 100, { resolve, reject }));
    // Lingering the full second would time the entry out at 100 ms, unsent.
    await expect(outcome).resolves.toBe('id-0');
    expect(publisher.bufferedCount).toBe(0);
  });

  it('sends at once the entries admitted from the room queue while a flush() waits for them', async () => {
    const { clients, sent } = stub([]);
    const publisher = new EventPublisher(clients, () => 'bus', { lingerMs: MAX_LINGER_MS, maxBuffered: 1 });
    fire(publisher, '"first"');
    const room = fire(publisher, '"waiting"');
    expect(room).toBeInstanceOf(Promise);
    // "first" goes out now; "waiting" is admitted when it settles, and must not linger a second.
    expect(await withinTurns(publisher.flush())).toEqual({ events: [], notRetained: 0 });
    expect(sent).toEqual([['"first"'], ['"waiting"']]);
  });
});
