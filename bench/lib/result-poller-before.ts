/**
 * The result poller as it was before the learnt first read (commit 045cb06), kept for the RPC
 * scenario's same-run before/after (BENCH_POLL_AB): every pending call read 3, 4.5, 6.75, 10,
 * 10, ... ms after its previous read returned, one read of a call at a time.
 */
import { ResultState } from '../../runtime/messages/wire';
import { callResultKey } from '../../runtime/topology/table-keys';
import { MicroBatcher } from '../../runtime/transport/micro-batcher';
import { ResultWaitTimeout } from '../../runtime/transport/result-poller';
import { MAX_KEYS_PER_BATCH_GET, type ResultsStore, type StoredResult } from '../../runtime/transport/results-store';

export type FinalResult = Exclude<StoredResult, { state: typeof ResultState.Claimed }>;

interface Waiter {
  readonly callId: string;
  readonly table: string;
  attempt: number;
  /** The wait before nextPollAt: a read may take this call along once half of it has passed. */
  delay: number;
  nextPollAt: number;
  reading: boolean;
  /** The last failed read of this call's item, if reads are failing. */
  lastReadError: Error | undefined;
  readonly resolve: (result: FinalResult) => void;
  readonly reject: (error: Error) => void;
  readonly deadlineTimer: NodeJS.Timeout;
}

interface PollSchedule {
  /** Delay before the first read. @default 3 */
  readonly firstDelayMs: number;
  /** Each further delay is the previous one times this. @default 1.5 */
  readonly factor: number;
  /** Delays never exceed this. @default 10 */
  readonly maxDelayMs: number;
}

/**
 * 4, 6, 9, 13.5, 20, 20, ... ms. The cap was 50 ms: a result that landed just after a read then
 * waited up to 50 ms more, which showed in the p99 of a ~60 ms round trip; reads riding along
 * (below) keep the extra reads of a lower cap cheap when many calls are in flight.
 */
const DEFAULT_POLL_SCHEDULE: PollSchedule = { firstDelayMs: 3, factor: 1.5, maxDelayMs: 10 };

/**
 * Waits for many calls' results at once. All calls that are due are read together with one
 * BatchGetItem (up to 100 keys a request), so a caller with 64 calls in flight makes a handful of
 * reads per interval instead of 64. Each call backs off on its own schedule: small first delays
 * for fast procedures, capped so slow ones are still noticed promptly (a call not answered yet is
 * "retried" on that schedule, not with the batch retry backoff). The reads are gathered by the
 * one {@link MicroBatcher}, keyed by table.
 */
export class ResultPollerBefore {
  private readonly waiters = new Map<string, Waiter>();
  private readonly reads = new MicroBatcher<Waiter>({
    maxEntries: MAX_KEYS_PER_BATCH_GET,
    send: (waiters, table) => this.read(table, waiters),
  });
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  public constructor(
    private readonly store: ResultsStore,
    private readonly schedule: PollSchedule = DEFAULT_POLL_SCHEDULE,
  ) {}

  /**
   * Resolves with the call's final result, or rejects with ResultWaitTimeout at the deadline. An id
   * that cannot key a call result (runtime/topology/table-keys.ts) is refused at once: reading it
   * would read another kind of item.
   */
  public wait(table: string, callId: string, deadline: number): Promise<FinalResult> {
    return new Promise<FinalResult>((resolve, reject) => {
      try {
        callResultKey(callId);
      } catch (error) {
        reject(error as Error);
        return;
      }
      const deadlineTimer = setTimeout(() => {
        const waiter = this.waiters.get(callId);
        this.waiters.delete(callId);
        reject(new ResultWaitTimeout(callId, waiter?.lastReadError));
      }, Math.max(0, deadline - Date.now()));
      this.waiters.set(callId, {
        callId,
        table,
        attempt: 0,
        delay: this.schedule.firstDelayMs,
        nextPollAt: Date.now() + this.schedule.firstDelayMs,
        reading: false,
        lastReadError: undefined,
        resolve: (result) => {
          clearTimeout(deadlineTimer);
          resolve(result);
        },
        reject: (error) => {
          clearTimeout(deadlineTimer);
          reject(error);
        },
        deadlineTimer,
      });
      this.arm();
    });
  }

  /** Number of calls still waiting (for tests and metrics). */
  public get pending(): number {
    return this.waiters.size;
  }

  private arm(): void {
    let earliest = Infinity;
    for (const waiter of this.waiters.values()) {
      if (!waiter.reading && waiter.nextPollAt < earliest) earliest = waiter.nextPollAt;
    }
    if (earliest === Infinity || earliest >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = earliest;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.pollDue();
    }, Math.max(0, earliest - Date.now()));
  }

  private async pollDue(): Promise<void> {
    // Calls at least half-way through their wait ride along: one read instead of several a
    // moment apart, so many calls in flight converge on a shared rhythm of BatchGetItems.
    const at = Date.now();
    const due = [...this.waiters.values()].filter((w) => !w.reading && w.nextPollAt - w.delay / 2 <= at);
    for (const waiter of due) {
      waiter.reading = true;
      this.reads.add(waiter, waiter.table);
    }
    this.arm();
    await this.reads.flush();
    this.arm();
  }

  private async read(table: string, waiters: readonly Waiter[]): Promise<void> {
    let found: Map<string, StoredResult>;
    try {
      found = await this.store.readMany(table, waiters.map((w) => w.callId));
    } catch (error) {
      // One failed read (after the SDK's own retries) must not fail up to 100 calls whose
      // deadlines are still ahead: keep polling, and report the failure if the deadline comes.
      for (const waiter of waiters) waiter.lastReadError = error as Error;
      found = new Map();
    }
    const now = Date.now();
    for (const waiter of waiters) {
      if (!this.waiters.has(waiter.callId)) continue; // timed out meanwhile
      const result = found.get(waiter.callId);
      if (result && result.state !== ResultState.Claimed) {
        this.waiters.delete(waiter.callId);
        waiter.resolve(result);
        continue;
      }
      waiter.attempt += 1;
      waiter.reading = false;
      const delay = Math.min(this.schedule.firstDelayMs * this.schedule.factor ** waiter.attempt, this.schedule.maxDelayMs);
      waiter.delay = delay;
      waiter.nextPollAt = now + delay;
    }
  }

  /** Rejects every waiting call (the client is closing). */
  public cancelAll(reason: Error): void {
    for (const waiter of this.waiters.values()) waiter.reject(reason);
    this.waiters.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}
