import { ResultPoller, ResultWaitTimeout, type ResultsStore, type StoredResult } from '../../runtime/transport';

/** A stub results store (unit test): results appear after a given number of reads. */
function stubStore(readyAfterReads: Record<string, number>) {
  const reads: string[][] = [];
  const store = {
    readMany: async (_table: string, ids: readonly string[]) => {
      reads.push([...ids]);
      const found = new Map<string, StoredResult>();
      for (const id of ids) {
        const seen = reads.filter((r) => r.includes(id)).length;
        if (readyAfterReads[id] !== undefined && seen >= readyAfterReads[id]!) found.set(id, { state: 'ok', resultJson: `"${id}"` });
        else if (readyAfterReads[id] !== undefined) found.set(id, { state: 'claimed' });
      }
      return found;
    },
  } as unknown as ResultsStore;
  return { store, reads };
}

describe('ResultPoller', () => {
  it('reads many waiting calls together instead of one read per call', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const { store, reads } = stubStore(Object.fromEntries(ids.map((id) => [id, 2])));
    const poller = new ResultPoller(store, { firstDelayMs: 1, factor: 1, maxDelayMs: 1 });
    const results = await Promise.all(ids.map((id) => poller.wait('t', id, Date.now() + 5000)));
    expect(results.map((r) => (r.state === 'ok' ? r.resultJson : r.state))).toEqual(ids.map((id) => `"${id}"`));
    // 20 calls, each needing 2 reads: far fewer than 40 reads.
    expect(reads.length).toBeLessThanOrEqual(4);
    expect(poller.pending).toBe(0);
  });

  it('rejects with ResultWaitTimeout at the deadline and stops polling that call', async () => {
    const { store, reads } = stubStore({});
    const poller = new ResultPoller(store, { firstDelayMs: 1, factor: 2, maxDelayMs: 20 });
    await expect(poller.wait('t', 'never', Date.now() + 100)).rejects.toBeInstanceOf(ResultWaitTimeout);
    const readsAtTimeout = reads.length;
    expect(readsAtTimeout).toBeGreaterThan(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(reads.length).toBe(readsAtTimeout);
  });

  it('backs off: later reads are further apart than the first ones', async () => {
    const times: number[] = [];
    const store = {
      readMany: async () => {
        times.push(Date.now());
        return new Map();
      },
    } as unknown as ResultsStore;
    const poller = new ResultPoller(store, { firstDelayMs: 2, factor: 2, maxDelayMs: 64 });
    await expect(poller.wait('t', 'x', Date.now() + 300)).rejects.toBeInstanceOf(ResultWaitTimeout);
    // Delays 2, 4, 8, 16, 32, 64, 64...: within 300 ms that is at most ~9 reads, not 150.
    expect(times.length).toBeLessThan(15);
  });

  it('keeps polling through failed reads, and reports the read failure if the deadline comes', async () => {
    let reads = 0;
    const store = {
      readMany: async (_t: string, ids: readonly string[]) => {
        reads += 1;
        if (reads <= 2) throw new Error('ProvisionedThroughputExceeded');
        return new Map(ids.filter((id) => id === 'ok').map((id) => [id, { state: 'ok', resultJson: '1' }]));
      },
    } as unknown as ResultsStore;
    const poller = new ResultPoller(store, { firstDelayMs: 1, factor: 1, maxDelayMs: 1 });
    await expect(poller.wait('t', 'ok', Date.now() + 2000)).resolves.toEqual({ state: 'ok', resultJson: '1' });

    const failing = { readMany: async () => Promise.reject(new Error('AccessDeniedException')) } as unknown as ResultsStore;
    const timeout = await new ResultPoller(failing, { firstDelayMs: 1, factor: 1, maxDelayMs: 5 })
      .wait('t', 'x', Date.now() + 50)
      .catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(ResultWaitTimeout);
    expect((timeout as ResultWaitTimeout).lastReadError?.message).toBe('AccessDeniedException');
  });
});
