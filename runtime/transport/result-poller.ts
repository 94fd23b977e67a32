import { ResultState } from '../messages/wire';
import { callResultKey } from '../topology/table-keys';
import { MicroBatcher } from './micro-batcher';
import { ReadyEstimates } from './ready-estimates';
import { MAX_KEYS_PER_BATCH_GET, type ResultsStore, type StoredResult } from './results-store';

export type FinalResult = Exclude<StoredResult, { state: typeof ResultState.Claimed }>;

/** Raised internally when a call's deadline passes; the caller turns it into an RpcTimeoutError. */
export class ResultWaitTimeout extends Error {
  public constructor(
    public readonly callId: string,
    /** Set when reading the results table was failing: the likelier cause of the timeout. */
    public readonly lastReadError?: Error,
  ) {
    super(`No result for ${callId} before its deadline`, lastReadError ? { cause: lastReadError } : undefined);
  }
}

interface Waiter {
  readonly callId: string;
  readonly table: string;
  /** The estimate this call reads by and teaches (its procedure on its table); undefined: none. */
  readonly kind: string | undefined;
  readonly startedAt: number;
  /** Reads sent so far. */
  reads: number;
  /** Reads sent and not back yet. */
  inFlight: number;
  /** Past this age the call is late for its kind: gaps may grow past maxDelayMs (see PollSchedule.lateAfterQuantile). */
  readonly lateAge: number;
  /** The wait before nextPollAt: a read may take this call along once half of it has passed. */
  delay: number;
  nextPollAt: number;
  /** When the latest read that came back without the result was sent; undefined: none yet. */
  lastMissAt: number | undefined;
  /** The last failed read of this call's item, if reads are failing. */
  lastReadError: Error | undefined;
  readonly resolve: (result: FinalResult) => void;
  readonly reject: (error: Error) => void;
  readonly deadlineTimer: NodeJS.Timeout;
}

/** One read of one call: when it was sent is what a miss or a find teaches. */
interface Read {
  readonly waiter: Waiter;
  readonly sentAt: number;
}

/**
 * When a call's result is read. A call's first read is due at the age (counted from the request's
 * send) at which recent calls of the same kind had their result readable ({@link learn}), then
 * reads follow at short gaps that grow by {@link factor}, capped at {@link maxDelayMs} or, for a
 * call already long under way, at {@link lateFraction} of its age.
 */
export interface PollSchedule {
  /**
   * Wait before a call's first read while nothing is known of its kind yet; also the least wait
   * before any first read and the least gap between two reads. @default 3
   */
  readonly firstDelayMs: number;
  /** Each further gap between reads is the previous one times this. @default 1.5 */
  readonly factor: number;
  /** Gaps between reads grow to this, or to {@link lateFraction} of the call's age when that is more. @default 10 */
  readonly maxDelayMs: number;
  /**
   * The share of a call's age its read gaps may grow to, above {@link maxDelayMs}: a result is seen
   * at most about this share of its round trip late, and a procedure running for seconds is read
   * a few times a second, not every {@link maxDelayMs}. The first gap after a first read is this
   * share of the call's age too (at least {@link firstDelayMs}). @default 0.1
   */
  readonly lateFraction?: number;
  /**
   * Learn, per procedure, when results become readable ({@link firstReadQuantile}), and read a new
   * call first then rather than after {@link firstDelayMs}. false: every call's first read comes
   * after {@link firstDelayMs}. @default true
   */
  readonly learn?: boolean;
  /**
   * The share of recent calls (the last 32 of the procedure) whose result should already be there
   * at a new call's first read: lower reads earlier (sooner results, more reads that find
   * nothing). @default 0.2
   */
  readonly firstReadQuantile?: number;
  /**
   * With it, gaps stay within {@link maxDelayMs} until a call is older than this share of recent
   * calls of its kind were when their result was found, and only then grow with
   * {@link lateFraction} of its age; without it, from any age. @default undefined
   */
  readonly lateAfterQuantile?: number;
  /**
   * Reads of one call that may be under way at once. 1: the next gap counts from the previous
   * read's return. More: it counts from the read's send, so the next read can go while one is
   * still under way — on AWS a read's round trip (~6 ms) is longer than the early gaps. @default 2
   */
  readonly readsInFlight?: number;
}

/**
 * First reads at the learnt age, then gaps growing ×1.5 from 3 ms to 10 ms (from and to a tenth of
 * the call's age when that is more). The gaps of a call's last few reads bound how late its
 * result is seen; the learnt first read is what keeps them from costing a read every few ms for
 * the whole round trip (the caller read every pending call every 3–10 ms before: 5–20 read units
 * a call at 64 in flight).
 */
export const DEFAULT_POLL_SCHEDULE: Required<Omit<PollSchedule, 'lateAfterQuantile'>> & Pick<PollSchedule, 'lateAfterQuantile'> = {
  firstDelayMs: 3,
  factor: 1.5,
  maxDelayMs: 10,
  lateFraction: 0.1,
  learn: true,
  firstReadQuantile: 0.2,
  readsInFlight: 2,
};

/** Refuses a schedule that would never read (or read without pause), saying what was given and what is allowed. */
function checkSchedule(schedule: typeof DEFAULT_POLL_SCHEDULE): void {
  const refuse = (option: string, value: unknown, allowed: string) => {
    throw new RangeError(`ResultPoller: ${option} must be ${allowed}; got ${String(value)}.`);
  };
  const { firstDelayMs, factor, maxDelayMs, lateFraction, firstReadQuantile, lateAfterQuantile, readsInFlight } = schedule;
  if (!(firstDelayMs > 0)) refuse('firstDelayMs', firstDelayMs, 'a number of ms above 0');
  if (!(factor >= 1)) refuse('factor', factor, 'a number of at least 1');
  if (!(maxDelayMs >= firstDelayMs)) refuse('maxDelayMs', maxDelayMs, `a number of ms of at least firstDelayMs (${firstDelayMs})`);
  if (!(lateFraction >= 0)) refuse('lateFraction', lateFraction, 'a number of at least 0');
  if (!(firstReadQuantile >= 0 && firstReadQuantile <= 1)) refuse('firstReadQuantile', firstReadQuantile, 'a number from 0 to 1');
  if (lateAfterQuantile !== undefined && !(lateAfterQuantile >= 0 && lateAfterQuantile <= 1)) refuse('lateAfterQuantile', lateAfterQuantile, 'a number from 0 to 1, or undefined');
  if (!(Number.isInteger(readsInFlight) && readsInFlight >= 1)) refuse('readsInFlight', readsInFlight, 'a whole number of at least 1');
}

/**
 * Waits for many calls' results at once. All calls that are due are read together with one
 * BatchGetItem (up to 100 keys a request), so a caller with 64 calls in flight makes a handful of
 * reads per interval instead of 64. Each call has its own schedule ({@link PollSchedule}): its
 * first read when calls of its kind usually have their result, then short gaps that grow, with up
 * to {@link PollSchedule.readsInFlight} reads of it under way (a call not answered yet is
 * "retried" on that schedule, not with the batch retry backoff). The reads are gathered by the one
 * {@link MicroBatcher}, keyed by table.
 */
export class ResultPoller {
  private readonly waiters = new Map<string, Waiter>();
  private readonly reads = new MicroBatcher<Read>({
    maxEntries: MAX_KEYS_PER_BATCH_GET,
    send: (reads, table) => this.read(table, reads),
  });
  private readonly schedule: typeof DEFAULT_POLL_SCHEDULE;
  private readonly estimates: ReadyEstimates;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  public constructor(
    private readonly store: ResultsStore,
    schedule: PollSchedule = DEFAULT_POLL_SCHEDULE,
  ) {
    this.schedule = { ...DEFAULT_POLL_SCHEDULE, ...schedule };
    checkSchedule(this.schedule);
    this.estimates = new ReadyEstimates(this.schedule.firstReadQuantile, this.schedule.lateAfterQuantile ?? 1);
  }

  /**
   * Resolves with the call's final result, or rejects with ResultWaitTimeout at the deadline. An id
   * that cannot key a call result (runtime/topology/table-keys.ts) is refused at once: reading it
   * would read another kind of item. `kind` names what the call runs (its procedure): calls of one
   * kind share what is learnt of when their results become readable; without it, none is learnt.
   */
  public wait(table: string, callId: string, deadline: number, kind?: string): Promise<FinalResult> {
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
      const estimateKey = kind === undefined || !this.schedule.learn ? undefined : `${table}\n${kind}`;
      const learnt = estimateKey === undefined ? undefined : this.estimates.firstReadAge(estimateKey);
      // Never first read after the deadline: a call of a slow kind with a short timeout is still read once or twice.
      const firstAge = Math.max(this.schedule.firstDelayMs, Math.min(learnt ?? 0, deadline - Date.now() - this.schedule.maxDelayMs));
      const lateAge = estimateKey === undefined || this.schedule.lateAfterQuantile === undefined ? 0 : (this.estimates.lateAge(estimateKey) ?? 0);
      const startedAt = Date.now();
      this.waiters.set(callId, {
        callId,
        table,
        kind: estimateKey,
        startedAt,
        lateAge,
        reads: 0,
        inFlight: 0,
        delay: learnt === undefined ? firstAge : this.gapAt(firstAge, undefined, lateAge),
        nextPollAt: startedAt + firstAge,
        lastMissAt: undefined,
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

  /**
   * The gap after a read sent at `age` ms into the call, the previous gap being `previous` (none:
   * its first read); past `lateAge`, gaps may grow with the call's age.
   */
  private gapAt(age: number, previous: number | undefined, lateAge: number): number {
    const { firstDelayMs, factor, maxDelayMs, lateFraction } = this.schedule;
    const cap = age >= lateAge ? Math.max(maxDelayMs, lateFraction * age) : maxDelayMs;
    return Math.min(previous === undefined ? Math.max(firstDelayMs, lateFraction * age) : previous * factor, cap);
  }

  private arm(): void {
    const limit = this.schedule.readsInFlight;
    let earliest = Infinity;
    for (const waiter of this.waiters.values()) {
      if (waiter.inFlight < limit && waiter.nextPollAt < earliest) earliest = waiter.nextPollAt;
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
    const limit = this.schedule.readsInFlight;
    for (const waiter of this.waiters.values()) {
      if (waiter.inFlight >= limit || waiter.nextPollAt - waiter.delay / 2 > at) continue;
      waiter.delay = this.gapAt(at - waiter.startedAt, waiter.reads === 0 ? undefined : waiter.delay, waiter.lateAge);
      waiter.reads += 1;
      waiter.inFlight += 1;
      // One read at a time: the gap counts from its return (set there). Overlapping: from now.
      waiter.nextPollAt = limit === 1 ? Infinity : at + waiter.delay;
      this.reads.add({ waiter, sentAt: at }, waiter.table);
    }
    this.arm();
    await this.reads.flush();
    this.arm();
  }

  private async read(table: string, reads: readonly Read[]): Promise<void> {
    let found: Map<string, StoredResult>;
    let failed = false;
    try {
      found = await this.store.readMany(table, reads.map((r) => r.waiter.callId));
    } catch (error) {
      // One failed read (after the SDK's own retries) must not fail up to 100 calls whose
      // deadlines are still ahead: keep polling, and report the failure if the deadline comes.
      for (const read of reads) read.waiter.lastReadError = error as Error;
      found = new Map();
      failed = true;
    }
    const now = Date.now();
    for (const { waiter, sentAt } of reads) {
      if (this.waiters.get(waiter.callId) !== waiter) continue; // timed out or found meanwhile
      waiter.inFlight -= 1;
      const result = found.get(waiter.callId);
      if (result && result.state !== ResultState.Claimed) {
        this.waiters.delete(waiter.callId);
        this.learn(waiter, sentAt, now);
        waiter.resolve(result);
        continue;
      }
      // A failed read says nothing of when the result appeared.
      if (!failed && (waiter.lastMissAt === undefined || sentAt > waiter.lastMissAt)) waiter.lastMissAt = sentAt;
      if (this.schedule.readsInFlight === 1) waiter.nextPollAt = now + waiter.delay;
    }
  }

  /** What a find teaches of the call's kind (see {@link ReadyEstimates}). */
  private learn(waiter: Waiter, foundAt: number, now: number): void {
    if (waiter.kind === undefined) return;
    const foundAge = foundAt - waiter.startedAt;
    this.estimates.learn(waiter.kind, {
      startedAt: waiter.startedAt,
      foundAge,
      missedAge: waiter.lastMissAt !== undefined && waiter.lastMissAt < foundAt ? waiter.lastMissAt - waiter.startedAt : undefined,
      step: this.gapAt(foundAge, undefined, waiter.lateAge),
      learntAt: now,
    });
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
