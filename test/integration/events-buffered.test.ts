/**
 * Buffered delivery against the emulator: fire() resolves once queued, flush() confirms, a real
 * listener receives every event, and LightbusWorker.stop() flushes what its listeners fired.
 */
import { lightbus, type Bus } from '../../runtime';
import { MAX_LINGER_MS } from '../../runtime/config';
import { eventually, mathApi, startWorker, stopAll, testBusOptions, track } from '../support/bus';

afterEach(stopAll);

type MathBus = Bus<readonly [typeof mathApi]>;

function bufferedFirer(options: { busName?: string; serviceName?: string; lingerMs?: number } = {}): MathBus {
  const bus = track(
    lightbus.create(
      testBusOptions({
        serviceName: options.serviceName ?? 'mathsvc',
        apis: [mathApi],
        ...(options.busName ? { busName: options.busName } : {}),
        fire: { delivery: 'buffered', ...(options.lingerMs !== undefined ? { lingerMs: options.lingerMs } : {}) },
      }),
    ),
  );
  bus.register(mathApi, { add: ({ a, b }) => a + b, fail: () => undefined, slow: () => 'x' });
  return bus;
}

function watcher(busName: string): MathBus {
  return track(lightbus.create(testBusOptions({ busName, serviceName: 'watcher', apis: [mathApi] })));
}

describe('buffered delivery through EventBridge and SQS', () => {
  it('delivers sequentially awaited fires, and flush() confirms them', async () => {
    const source = bufferedFirer({ lingerMs: MAX_LINGER_MS });
    const busName = source.settings.busName;
    const seen: number[] = [];
    const listening = watcher(busName);
    listening.math.happened.listen((_e, { n }) => void seen.push(n), { listenerName: 'audit' });
    await startWorker(listening); // provisions the event bus, the queue and the rule
    const sent = [];
    for (let n = 0; n < 25; n += 1) sent.push(await source.math.happened.fire({ n }));
    expect(sent[0]).toMatchObject({ delivery: 'buffered', eventBridgeId: undefined, api: 'math', event: 'happened' });
    // The last 5 would wait out the (longest allowed) linger; flush() sends them at once.
    await source.flush();
    expect(source.transports.publisher.bufferedCount).toBe(0);
    await eventually(() => seen.length >= 25, 20_000, 'the listener to receive 25 events');
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, n) => n));
  });

  it("LightbusWorker.stop() flushes the events its listeners fired", async () => {
    const relay = bufferedFirer({ serviceName: 'relay', lingerMs: MAX_LINGER_MS });
    const busName = relay.settings.busName;
    relay.math.happened.listen(
      async (_e, { n, label }) => {
        if (label !== 'relayed') await relay.math.happened.fire({ n: n + 100, label: 'relayed' });
      },
      { listenerName: 'relay' },
    );
    const relayed: number[] = [];
    const listening = watcher(busName);
    listening.math.happened.listen((_e, { n, label }) => void (label === 'relayed' && relayed.push(n)), { listenerName: 'audit' });
    await startWorker(listening);
    const relayWorker = await startWorker(relay);
    const source = bufferedFirer({ busName, serviceName: 'source' });
    for (let n = 0; n < 3; n += 1) await source.math.happened.fire({ n });
    await source.flush();
    // The relay's listener has run for all three, but its fires sit in the buffer for the linger
    // (the longest allowed, a second: far longer than the relay takes to fire all three).
    await eventually(() => relay.transports.hasPublisher && relay.transports.publisher.bufferedCount === 3, 20_000, 'the relay to fire 3 events');
    await relayWorker.stop();
    expect(relay.transports.publisher.bufferedCount).toBe(0);
    await eventually(() => relayed.length >= 3, 20_000, 'the relayed events to arrive');
    expect([...relayed].sort((a, b) => a - b)).toEqual([100, 101, 102]);
  });
});
