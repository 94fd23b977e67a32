/**
 * Exactly-once listeners against the emulator: the same event id fired twice (a caller's retry
 * with `fire(p, { eventId })`) runs an exactly-once listener once and a plain listener twice; a
 * failing first attempt releases its claim, so the retry runs and the event is recorded done once.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { lightbus, type Bus, type DispatchOutcome } from '../../runtime';
import { dedupeKey, DedupeStore } from '../../runtime/transport';
import { eventually, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

type MathBus = Bus<readonly [typeof mathApi]>;

function firer(): MathBus {
  const bus = track(lightbus.create(testBusOptions({ serviceName: 'mathsvc', apis: [mathApi] })));
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });
  return bus;
}

function watcher(busName: string): MathBus {
  return track(lightbus.create(testBusOptions({ busName, serviceName: 'watcher', apis: [mathApi] })));
}

async function recordState(bus: MathBus, listenerName: string, eventId: string): Promise<string | undefined> {
  const out = await bus.transports.clients.dynamoDb.send(
    new GetItemCommand({
      TableName: bus.transports.location.resultsTable,
      Key: { pk: { S: dedupeKey('watcher', listenerName, eventId) } },
      ConsistentRead: true,
    }),
  );
  return out.Item?.state?.S;
}

describe('exactly-once listeners', () => {
  it('runs an exactly-once listener once for an event id fired twice; a plain listener twice', async () => {
    const source = firer();
    await startWorker(source); // provisions the bus
    const bus = watcher(source.settings.busName);
    const once: number[] = [];
    const plain: number[] = [];
    bus.math.happened.listen((_e, { n }) => void once.push(n), { listenerName: 'once', exactlyOnce: true });
    bus.math.happened.listen((_e, { n }) => void plain.push(n), { listenerName: 'plain' });
    const worker = await startWorker(bus);
    const outcomes: { queue: string; outcome: DispatchOutcome }[] = [];
    worker.on('message_processed', (m, outcome) => outcomes.push({ queue: m.queueName, outcome }));

    const eventId = randomUUID();
    const onceQueue = bus.topology().listeners.find((l) => l.listenerName === 'once')!.queueName;
    const first = await source.math.happened.fire({ n: 1 }, { eventId, delivery: 'confirmed' });
    // The copy comes after the first has been handled: a copy arriving while the first still runs
    // finds a live claim and is retried later instead (the unit tests cover that case).
    await eventually(() => outcomes.some((o) => o.queue === onceQueue), 15_000, 'the first copy at the exactly-once listener');
    const again = await source.math.happened.fire({ n: 1 }, { eventId, delivery: 'confirmed' });
    expect(again.id).toBe(first.id);

    await eventually(() => plain.length === 2, 15_000, 'the plain listener to see both copies');
    await eventually(() => outcomes.filter((o) => o.queue === onceQueue).length === 2, 15_000, 'both copies at the exactly-once listener');
    expect(once).toEqual([1]);
    expect(outcomes.filter((o) => o.queue === onceQueue).map((o) => o.outcome.kind).sort()).toEqual(['done', 'dropped']);
    expect(await recordState(bus, 'once', eventId)).toBe('done');
    // The plain listener writes nothing to the table.
    expect(await recordState(bus, 'plain', eventId)).toBeUndefined();
  });

  it('releases the claim of a failed attempt: the retry runs the handler, and the event is recorded done once', async () => {
    const source = firer();
    await startWorker(source);
    const bus = watcher(source.settings.busName);
    let attempts = 0;
    bus.math.happened.listen(
      () => {
        attempts += 1;
        if (attempts === 1) throw new Error('first attempt fails');
      },
      { listenerName: 'flaky', exactlyOnce: { ttl: '1h' }, retryDelaySeconds: 0 },
    );
    const worker = await startWorker(bus);
    const outcomes: DispatchOutcome[] = [];
    worker.on('message_processed', (_m, outcome) => outcomes.push(outcome));

    const eventId = randomUUID();
    await source.math.happened.fire({ n: 7 }, { eventId, delivery: 'confirmed' });
    await eventually(() => outcomes.some((o) => o.kind === 'done'), 20_000, 'the retry to succeed');
    expect(attempts).toBe(2);
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'done']);
    expect(await recordState(bus, 'flaky', eventId)).toBe('done');

    // Fired again after it was handled: skipped, not run a third time.
    await source.math.happened.fire({ n: 7 }, { eventId, delivery: 'confirmed' });
    await eventually(() => outcomes.length === 3, 15_000, 'the repeat to be processed');
    expect(outcomes[2]).toEqual({ kind: 'dropped', reason: 'duplicate' });
    expect(attempts).toBe(2);
  });

  it('the store: a live claim refuses another; a claim past its lease is taken over; a done record is reported done', async () => {
    const source = firer();
    await startWorker(source); // provisions the results table
    const store = new DedupeStore(source.transports.clients);
    const request = {
      table: source.transports.location.resultsTable,
      key: dedupeKey('watcher', 'store', randomUUID()),
      claimedBy: 'test',
      leaseMs: 60_000,
      ttlSeconds: 3600,
    };
    const first = await store.claim(request);
    expect(first).toMatchObject({ kind: 'claimed', tookOver: false });
    expect(await store.claim(request)).toMatchObject({ kind: 'busy' });
    await new Promise((r) => setTimeout(r, 5));
    const second = await store.claim({ ...request, leaseMs: 1 });
    expect(second).toMatchObject({ kind: 'claimed', tookOver: true });
    // The first claim is no longer its holder's: it can neither mark done nor release.
    expect(await store.markDone((first as Extract<typeof first, { kind: 'claimed' }>).claim)).toBe(false);
    expect(await store.markDone((second as Extract<typeof second, { kind: 'claimed' }>).claim)).toBe(true);
    expect(await store.claim({ ...request, leaseMs: 1 })).toEqual({ kind: 'done' });
  });
});
