import { ResultPoller, type PollSchedule, type ResultsStore, type StoredResult } from '../../runtime/transport';
import { ReadyEstimates } from '../../runtime/transport/ready-estimates';

/**
 * A results store on jest's fake clock (unit test): each call's result becomes readable at a set
 * time; a read takes `latencyMs` and sees what was there half-way through (when it would reach
 * the table). Records every read's keys and send time, and how many were under way at once.
 */
function clockedStore(latencyMs: number) {
  const readyAt = new Map<string, number>();
  const reads: { ids: string[]; at: number }[] = [];
  let underWay = 0;
  let mostUnderWay = 0;
  const store = {
    readMany: async (_table: string, ids: readonly string[]) => {
      reads.push({ ids: [...ids], at: Date.now() });
      underWay += 1;
      mostUnderWay = Math.max(mostUnderWay, underWay);
      const arrives = Date.now() + latencyMs / 2;
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      underWay -= 1;
      const found = new Map<string, StoredResult>();
      for (const id of ids) {
        const at = readyAt.get(id);
        found.set(id, at !== undefined && at <= arrives ? { state: 'ok', resultJson: `"${id}"` } : { state: 'claimed' });
      }
      return found;
    },
  } as unknown as ResultsStore;
  return {
    store,
    reads,
    readsOf: (id: string) => reads.filter((r) => r.ids.includes(id)),
    readyIn: (id: string, ms: number) => readyAt.set(id, Date.now() + ms),
    mostUnderWay: () => mostUnderWay,
  };
}

/** Waits for one call whose result is readable `readyMs` after the wait starts, on the fake clock. */
async function oneCall(poller: ResultPoller, s: ReturnType<typeof clockedStore>, id: string, readyMs: number, kind?: string) {
  const startedAt = Date.now();
  s.readyIn(id, readyMs);
  let settled = false;
  const result = poller.wait('t', id, Date.now() + 60_000, kind).finally(() => {
    settled = true;
  });
  for (let waited = 0; !settled && waited < 60_000; waited += 10) await jest.advanceTimersByTimeAsync(10);
  await expect(result).resolves.toEqual({ state: 'ok', resultJson: `"${id}"` });
  const reads = s.readsOf(id);
  return { reads: reads.length, firstReadAge: (reads[0]?.at ?? NaN) - startedAt, lastReadAge: (reads.at(-1)?.at ?? NaN) - startedAt };
}

describe('ResultPoller schedule (fake clock)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('learns when a procedure\'s results become readable and reads new calls first then, not every few ms from the send', async () => {
    const s = clockedStore(0);
    const poller = new ResultPoller(s.store);
    const first = await oneCall(poller, s, 'c0', 50, 'api.echo');
    // Nothing known yet: the first read comes after firstDelayMs, and reads follow every few ms.
    expect(first.firstReadAge).toBe(3);
    expect(first.reads).toBeGreaterThanOrEqual(6);
    const later = [];
    for (let i = 1; i <= 10; i += 1) later.push(await oneCall(poller, s, `c${i}`, 50, 'api.echo'));
    for (const call of later.slice(3)) {
      expect(call.firstReadAge).toBeGreaterThanOrEqual(40);
      expect(call.reads).toBeLessThanOrEqual(3);
      // Still seen soon after it became readable: within one gap (a tenth of its age, at least 3 ms).
      expect(call.lastReadAge).toBeLessThanOrEqual(50 + 6);
    }
    // Another procedure learns on its own: its first call is read early again.
    expect((await oneCall(poller, s, 'd0', 50, 'api.other')).firstReadAge).toBe(3);
  });

  it('without a kind, or with learn: false, every first read comes after firstDelayMs', async () => {
    const s = clockedStore(0);
    const poller = new ResultPoller(s.store);
    await oneCall(poller, s, 'a0', 50);
    expect((await oneCall(poller, s, 'a1', 50)).firstReadAge).toBe(3);
    const unlearning = new ResultPoller(s.store, { firstDelayMs: 5, factor: 1.5, maxDelayMs: 10, learn: false });
    await oneCall(unlearning, s, 'b0', 50, 'api.echo');
    expect((await oneCall(unlearning, s, 'b1', 50, 'api.echo')).firstReadAge).toBe(5);
  });

  it('walks the first read earlier when first reads keep finding the result (the procedure got faster)', async () => {
    const s = clockedStore(0);
    const poller = new ResultPoller(s.store);
    for (let i = 0; i < 5; i += 1) await oneCall(poller, s, `slow${i}`, 200, 'api.p');
    const before = (await oneCall(poller, s, 'slow5', 200, 'api.p')).firstReadAge;
    expect(before).toBeGreaterThan(150);
    const fast = [];
    for (let i = 0; i < 10; i += 1) fast.push(await oneCall(poller, s, `fast${i}`, 20, 'api.p'));
    // First reads that keep finding the result step back further each time (1, 2, 4, ... gaps).
    expect(fast.at(-1)?.firstReadAge).toBeLessThan(40);
    expect(fast[1]?.firstReadAge).toBeLessThan(fast[0]?.firstReadAge ?? 0);
  });

  it('recovers from a slow first call (a cold start) within a few calls', async () => {
    const s = clockedStore(0);
    const poller = new ResultPoller(s.store);
    await oneCall(poller, s, 'cold', 2000, 'api.p');
    const warm = [];
    for (let i = 0; i < 8; i += 1) warm.push(await oneCall(poller, s, `warm${i}`, 50, 'api.p'));
    expect(warm.at(-1)?.lastReadAge).toBeLessThan(100);
  });

  it('keeps its estimate through waves of calls in flight together', async () => {
    const s = clockedStore(0);
    const poller = new ResultPoller(s.store);
    await oneCall(poller, s, 'warm', 50, 'api.echo');
    for (let wave = 0; wave < 4; wave += 1) {
      const ids = Array.from({ length: 30 }, (_, i) => `w${wave}.${i}`);
      for (const id of ids) s.readyIn(id, 50);
      const startedAt = Date.now();
      const results = Promise.all(ids.map((id) => poller.wait('t', id, Date.now() + 60_000, 'api.echo')));
      await jest.advanceTimersByTimeAsync(200);
      await results;
      if (wave === 3) for (const id of ids) expect((s.readsOf(id)[0]?.at ?? 0) - startedAt).toBeGreaterThanOrEqual(35);
    }
  });

  it('with lateAfterQuantile, holds gaps within maxDelayMs until a call is later than most of its kind', async () => {
    const gapsBeforeFind = async (schedule: PollSchedule) => {
      const s = clockedStore(0);
      const poller = new ResultPoller(s.store, schedule);
      for (let i = 0; i < 10; i += 1) await oneCall(poller, s, `l${i}`, i % 2 === 0 ? 300 : 400, 'api.p');
      const startedAt = Date.now();
      await oneCall(poller, s, 'probe', 360, 'api.p');
      const ages = s.readsOf('probe').map((r) => r.at - startedAt);
      return ages.slice(1).map((age, i) => age - (ages[i] as number));
    };
    const held = await gapsBeforeFind({ firstDelayMs: 3, factor: 1.5, maxDelayMs: 10, lateAfterQuantile: 0.8 });
    expect(Math.max(...held)).toBeLessThanOrEqual(10);
    const grown = await gapsBeforeFind({ firstDelayMs: 3, factor: 1.5, maxDelayMs: 10 });
    expect(Math.max(...grown)).toBeGreaterThan(20);
  });

  it('reads a call before its deadline even when its kind usually answers after it', async () => {
    const s = clockedStore(0);
    const poller = new ResultPoller(s.store);
    for (let i = 0; i < 3; i += 1) await oneCall(poller, s, `slow${i}`, 500, 'api.p');
    s.readyIn('quick', 100);
    const result = poller.wait('t', 'quick', Date.now() + 300, 'api.p');
    const settled = expect(result).resolves.toEqual({ state: 'ok', resultJson: '"quick"' });
    await jest.advanceTimersByTimeAsync(400);
    await settled;
  });

  it('keeps a second read of a call under way while the first is (readsInFlight), and no more', async () => {
    const s = clockedStore(6);
    await oneCall(new ResultPoller(s.store), s, 'x', 40);
    expect(s.mostUnderWay()).toBe(2);
    const t = clockedStore(6);
    await oneCall(new ResultPoller(t.store, { firstDelayMs: 3, factor: 1.5, maxDelayMs: 10, readsInFlight: 1 }), t, 'y', 40);
    expect(t.mostUnderWay()).toBe(1);
  });

  it('backs off a long-running call to a tenth of its age: a 5 s procedure is read tens of times, not every 10 ms', async () => {
    const s = clockedStore(0);
    const call = await oneCall(new ResultPoller(s.store), s, 'long', 5000);
    expect(call.reads).toBeLessThan(80); // every 10 ms: ~500
    expect(call.lastReadAge).toBeLessThanOrEqual(5000 * 1.1 + 3);
  });

  it('still reads the calls due together in one BatchGetItem', async () => {
    const s = clockedStore(0);
    const poller = new ResultPoller(s.store);
    await oneCall(poller, s, 'warm', 50, 'api.echo');
    const ids = Array.from({ length: 30 }, (_, i) => `m${i}`);
    for (const id of ids) s.readyIn(id, 50);
    const readsBefore = s.reads.length;
    const results = Promise.all(ids.map((id) => poller.wait('t', id, Date.now() + 60_000, 'api.echo')));
    await jest.advanceTimersByTimeAsync(200);
    await results;
    // 30 calls, each read about twice: a few batches, not ~60 reads.
    expect(s.reads.length - readsBefore).toBeLessThanOrEqual(4);
    expect(s.reads.at(-1)?.ids.length).toBe(30);
  });
});

describe('ResultPoller schedule options', () => {
  it('refuses a schedule that would never read, naming the option, what was given and what is allowed', () => {
    const store = {} as ResultsStore;
    expect(() => new ResultPoller(store, { firstDelayMs: 3, factor: 1.5, maxDelayMs: 10, readsInFlight: 0 })).toThrow(
      'ResultPoller: readsInFlight must be a whole number of at least 1; got 0.',
    );
    expect(() => new ResultPoller(store, { firstDelayMs: 0, factor: 1.5, maxDelayMs: 10 })).toThrow(/firstDelayMs must be .*; got 0/);
    expect(() => new ResultPoller(store, { firstDelayMs: 3, factor: 1.5, maxDelayMs: 10, firstReadQuantile: 2 })).toThrow(/firstReadQuantile/);
    expect(() => new ResultPoller(store, { firstDelayMs: 3, factor: 1.5, maxDelayMs: 10, learn: false, readsInFlight: 1 })).not.toThrow();
  });
});

describe('ReadyEstimates', () => {
  it('gives the chosen low quantile of the last samples of a kind, and nothing for a kind not seen', () => {
    const estimates = new ReadyEstimates(0.2);
    expect(estimates.firstReadAge('k')).toBeUndefined();
    for (let ms = 10; ms <= 100; ms += 10) estimates.record('k', ms);
    expect(estimates.firstReadAge('k')).toBe(30);
    // Only the last 32 count: 32 samples of 500 push the old ones out.
    for (let i = 0; i < 32; i += 1) estimates.record('k', 500);
    expect(estimates.firstReadAge('k')).toBe(500);
  });

  it('steps back further only for calls started after the last step back, not for many calls found together', () => {
    const estimates = new ReadyEstimates(0.2);
    estimates.learn('k', { startedAt: 0, foundAge: 55, missedAge: 45, step: 5, learntAt: 55 });
    expect(estimates.firstReadAge('k')).toBe(50);
    // 20 calls in flight together (started before any of them was found), all found by their first read.
    for (let i = 0; i < 20; i += 1) estimates.learn('k', { startedAt: 10 + i, foundAge: 50, missedAge: undefined, step: 5, learntAt: 60 + i });
    expect(estimates.firstReadAge('k')).toBe(45);
    // Calls one after another, each found at once: 1, 2, 4, ... steps back.
    const sequential = new ReadyEstimates(0.2);
    let at = 0;
    for (let i = 0; i < 4; i += 1) {
      sequential.learn('k', { startedAt: at, foundAge: 200, missedAge: undefined, step: 10, learntAt: at + 200 });
      at += 300;
    }
    expect(sequential.firstReadAge('k')).toBe(200 - 10 * 8);
  });

  it('forgets the kind learnt least recently beyond 1000 kinds', () => {
    const estimates = new ReadyEstimates(0.2);
    for (let i = 0; i < 1000; i += 1) estimates.record(`k${i}`, i);
    estimates.record('k0', 0); // learnt again: now the most recent
    estimates.record('new', 1);
    expect(estimates.size).toBe(1000);
    expect(estimates.firstReadAge('k0')).toBe(0);
    expect(estimates.firstReadAge('k1')).toBeUndefined();
  });
});

// PollSchedule literals from before the learnt first read still type-check.
const legacy: PollSchedule = { firstDelayMs: 3, factor: 1.5, maxDelayMs: 10 };
void legacy;
