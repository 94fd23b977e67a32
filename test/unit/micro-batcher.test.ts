/**
 * The transports' one micro-batching primitive (unit test, no AWS): gathering per turn or per
 * linger, count, byte and distinct-key limits, keys kept apart, the shared in-flight cap, and the
 * per-entry retry with backoff that close() ends.
 */
import { CallQueue } from '../../runtime/transport/call-queue';
import { MicroBatcher, type MicroBatcherOptions } from '../../runtime/transport/micro-batcher';

interface Item {
  readonly name: string;
  readonly size?: number;
  wanted?: boolean;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function recorder(options: Partial<MicroBatcherOptions<Item>> = {}) {
  const sent: Array<{ key: string; names: string[] }> = [];
  const batcher = new MicroBatcher<Item>({
    maxEntries: 3,
    send: async (batch, key) => {
      sent.push({ key, names: batch.map((i) => i.name) });
    },
    ...options,
  });
  return { batcher, sent };
}

describe('MicroBatcher', () => {
  it('sends a full batch at once and the rest at the end of the turn', async () => {
    const { batcher, sent } = recorder();
    for (const name of ['a', 'b', 'c', 'd']) batcher.add({ name });
    expect(sent).toEqual([{ key: '', names: ['a', 'b', 'c'] }]);
    await nextTurn();
    expect(sent).toEqual([
      { key: '', names: ['a', 'b', 'c'] },
      { key: '', names: ['d'] },
    ]);
  });

  it('keeps keys apart', async () => {
    const { batcher, sent } = recorder();
    batcher.add({ name: 'a' }, 'q1');
    batcher.add({ name: 'b' }, 'q2');
    batcher.add({ name: 'c' }, 'q1');
    await nextTurn();
    expect(sent).toEqual([
      { key: 'q1', names: ['a', 'c'] },
      { key: 'q2', names: ['b'] },
    ]);
  });

  it('starts a new batch before the bytes would pass the limit, and before a second entry of a distinct value', async () => {
    const { batcher, sent } = recorder({ maxEntries: 10, maxBytes: 10, sizeOf: (i) => i.size ?? 1, distinctBy: (i) => i.name });
    batcher.add({ name: 'a', size: 6 });
    batcher.add({ name: 'b', size: 5 });
    batcher.add({ name: 'b', size: 1 });
    await nextTurn();
    expect(sent.map((s) => s.names)).toEqual([['a'], ['b'], ['b']]);
  });

  it('with a linger, waits for it (from the first entry) unless flushed', async () => {
    const lingers: string[] = [];
    const { batcher, sent } = recorder({
      linger: (first) => {
        lingers.push(first.name);
        return 20;
      },
    });
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      batcher.add({ name: 'a' });
      batcher.add({ name: 'b' });
      await nextTurn();
      jest.advanceTimersByTime(19);
      expect(sent).toEqual([]);
      jest.advanceTimersByTime(1);
    } finally {
      jest.useRealTimers();
    }
    expect(sent.map((s) => s.names)).toEqual([['a', 'b']]);
    batcher.add({ name: 'c' });
    await batcher.flush();
    expect(sent.map((s) => s.names)).toEqual([['a', 'b'], ['c']]);
    expect(lingers).toEqual(['a', 'c']);
  });

  it('keeps calls under a shared in-flight cap, in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const order: string[] = [];
    let allDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    const calls = new CallQueue(2);
    const batcher = new MicroBatcher<Item>({
      maxEntries: 1,
      calls,
      send: async (batch) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(batch[0]!.name);
        inFlight -= 1;
        if (order.length === 5) allDone();
      },
    });
    for (const name of ['a', 'b', 'c', 'd', 'e']) batcher.add({ name });
    await done;
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(peak).toBe(2);
  });

  describe('retries', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
    afterEach(() => jest.useRealTimers());

    it('puts entries back into a later batch after the backoff, leaving out those no longer wanted', async () => {
      const { batcher, sent } = recorder({ stillWanted: (i) => i.wanted !== false, retryBaseMs: 100 });
      const dropped: Item = { name: 'dropped' };
      batcher.retryLater([{ name: 'again' }, dropped], 1, 'q');
      dropped.wanted = false;
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(49);
      await nextTurn();
      expect(sent).toEqual([]);
      jest.advanceTimersByTime(51);
      await nextTurn();
      expect(sent).toEqual([{ key: 'q', names: ['again'] }]);
    });

    it('close() ends the retries waiting and hands their entries back', async () => {
      const { batcher, sent } = recorder();
      batcher.retryLater([{ name: 'a' }, { name: 'b' }], 2);
      expect(batcher.close().map((i) => i.name)).toEqual(['a', 'b']);
      expect(jest.getTimerCount()).toBe(0);
      await jest.runAllTimersAsync();
      expect(sent).toEqual([]);
    });
  });
});
