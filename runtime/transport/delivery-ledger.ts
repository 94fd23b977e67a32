import type { UndeliveredEvent } from '../errors';
import type { UndeliveredReport } from './event-entry';
import { OriginWatchState, type OriginWatch } from './origin-watch';

interface FlushWaiter {
  /** Waits for buffered entries with seq ≤ upTo. */
  readonly upTo: number;
  remaining: number;
  /** Failures of its entries that were not retained (the list was full), counted for its report. */
  notRetained: number;
  readonly resolve: (report: UndeliveredReport) => void;
}

interface RoomWaiter {
  readonly seq: number;
  readonly admit: () => void;
}

/** A buffered entry's place in the ledger: its fire() order, and the watches counting it. */
export interface LedgerPlace {
  /** Its place in fire() order (from 1), which flush() waits up to. */
  readonly seq: number;
  /** The watches of its origin that count it ({@link BufferedDeliveryLedger.watch}); usually none. */
  readonly watches: readonly OriginWatchState[] | undefined;
}

/**
 * The bookkeeping of buffered delivery, apart from sending: the room (at most `maxBuffered`
 * entries admitted, later ones wait in fire() order), the flushes waiting for entries up to a
 * place in fire() order, the failures kept for them (capped; the rest counted), and the watches
 * of one origin's entries. The publisher tells it when an entry is buffered, admitted and settled.
 */
export class BufferedDeliveryLedger {
  /** The seq given to the last buffered entry. */
  private lastSeq = 0;
  /** Buffered entries admitted and not settled (they count against maxBuffered). */
  private buffered = 0;
  /** Buffered entries waiting for room, plus those admitted and not settled: what flush() waits for. */
  private outstanding = 0;
  private readonly roomWaiters: RoomWaiter[] = [];
  private flushWaiters: FlushWaiter[] = [];
  /**
   * Failed buffered entries not yet reported by a flush() (nor claimed by a watch), with their seq.
   * At most maxBuffered: a server that never flushes must not grow it for ever (each failure is
   * logged as it happens, so one not retained is still seen).
   */
  private undelivered: Array<{ readonly seq: number; readonly event: UndeliveredEvent }> = [];
  /** Failures not retained that no waiting flush() covers yet: the next flush() reports them. */
  private notRetainedUncovered = 0;
  /** Open watches by origin (an array: a message received twice at once has two). Empty unless the local worker watches. */
  private readonly watches = new Map<string, OriginWatchState[]>();

  public constructor(
    private readonly maxBuffered: number,
    /** Sends the batch being filled now (a flush must not wait out the linger). */
    private readonly sendNow: () => void,
    private readonly onUndelivered: ((event: UndeliveredEvent) => void) | undefined,
  ) {}

  /** Buffered entries not yet settled, including those waiting for room. */
  public get outstandingCount(): number {
    return this.outstanding;
  }

  /** A new buffered entry's place in fire() order, counted by the flushes from now on. */
  public nextSeq(): number {
    this.outstanding += 1;
    return ++this.lastSeq;
  }

  /**
   * Admits the entry at `seq` now if there is room (returning undefined), or returns a promise
   * that resolves once it had room and was admitted. Waiters go first: entries are admitted in
   * fire() order.
   */
  public admitWhenRoom(seq: number, admit: () => void): Promise<void> | undefined {
    if (this.buffered < this.maxBuffered && this.roomWaiters.length === 0) {
      this.buffered += 1;
      admit();
      return undefined;
    }
    return new Promise<void>((resolve) => {
      this.roomWaiters.push({
        seq,
        admit: () => {
          this.buffered += 1;
          admit();
          resolve();
        },
      });
    });
  }

  /** See {@link EventPublisher.watch}. */
  public watch(origin: string): OriginWatch {
    const watch = new OriginWatchState(origin, {
      detach: (w) => this.detach(w),
      claim: (failed) => this.claim(failed),
    });
    const open = this.watches.get(origin);
    if (open) open.push(watch);
    else this.watches.set(origin, [watch]);
    return watch;
  }

  /** See {@link EventPublisher.flush}. */
  public flush(): Promise<UndeliveredReport> {
    const upTo = this.lastSeq;
    this.sendNow();
    if (this.outstanding === 0) return Promise.resolve(this.takeReport(upTo, this.takeUncovered()));
    // Flushes are pushed in fire() order (upTo never decreases), which settled() relies on.
    return new Promise((resolve) => this.flushWaiters.push({ upTo, remaining: this.outstanding, notRetained: this.takeUncovered(), resolve }));
  }

  /** An admitted entry was accepted. */
  public delivered(place: LedgerPlace): void {
    this.settled(place, undefined);
  }

  /** An admitted entry failed for good: kept for the flush (and watch) covering it, and told to onUndelivered. */
  public failed(place: LedgerPlace, event: UndeliveredEvent): void {
    // A watched entry's failure goes to its watch (the worker retries the message that fired it);
    // past the cap it must not also be counted as lost to the flushes.
    const watched = place.watches !== undefined && place.watches.length > 0;
    if (!watched || this.undelivered.length < this.maxBuffered) this.retain(place.seq, event);
    this.onUndelivered?.(event);
    this.settled(place, event);
  }

  /** The open watches of `origin`, each now counting one more entry; undefined (the hot path) when none. */
  public watchesCounting(origin: string | undefined): readonly OriginWatchState[] | undefined {
    if (origin === undefined || this.watches.size === 0) return undefined;
    const open = this.watches.get(origin);
    if (open === undefined) return undefined;
    for (const watch of open) watch.outstanding += 1;
    // A copy: the watch list changes as watches end, the entry's must not.
    return [...open];
  }

  /** settled() was called: entries fired from now on no longer count towards the watch. */
  private detach(watch: OriginWatchState): void {
    const open = this.watches.get(watch.origin);
    if (open === undefined) return;
    const rest = open.filter((w) => w !== watch);
    if (rest.length > 0) this.watches.set(watch.origin, rest);
    else this.watches.delete(watch.origin);
  }

  /** A watch reported these failures: flush() must not report them again. */
  private claim(failed: readonly UndeliveredEvent[]): void {
    if (this.undelivered.length === 0) return;
    const claimed = new Set(failed);
    this.undelivered = this.undelivered.filter((u) => !claimed.has(u.event));
  }

  /** Keeps a failure for the next flush() covering it, or, past the cap, only counts it there. */
  private retain(seq: number, event: UndeliveredEvent): void {
    if (this.undelivered.length < this.maxBuffered) {
      this.undelivered.push({ seq, event });
      return;
    }
    // The earliest waiting flush covering it reports it (flushWaiters is in ascending upTo order).
    const waiter = this.flushWaiters.find((w) => seq <= w.upTo);
    if (waiter !== undefined) waiter.notRetained += 1;
    else this.notRetainedUncovered += 1;
  }

  /** Frees the entry's room (admitting the next waiter) and counts it off the flushes and watches waiting for it. */
  private settled(place: LedgerPlace, failure: UndeliveredEvent | undefined): void {
    this.buffered -= 1;
    this.outstanding -= 1;
    this.admitWaiters();
    // Watches first: one that ends now claims its failures before a flush below takes them.
    if (place.watches !== undefined) for (const watch of place.watches) watch.entrySettled(failure);
    if (this.flushWaiters.length > 0) this.countOffFlushes(place.seq);
  }

  /**
   * Admits entries waiting for room while there is room, in fire() order. If a waiting flush()
   * covers one of them, its batch goes out at once: that flush must not wait out the linger.
   */
  private admitWaiters(): void {
    let firstAdmitted: number | undefined;
    while (this.buffered < this.maxBuffered && this.roomWaiters.length > 0) {
      const waiter = this.roomWaiters.shift() as RoomWaiter;
      firstAdmitted ??= waiter.seq;
      waiter.admit();
    }
    const lastFlush = this.flushWaiters[this.flushWaiters.length - 1];
    if (firstAdmitted !== undefined && lastFlush !== undefined && firstAdmitted <= lastFlush.upTo) this.sendNow();
  }

  /**
   * Counts a settled entry off the flushes waiting for it and resolves those that are done, in
   * ascending upTo order, each with its report taken now: an earlier flush takes the failures of
   * its own entries before a later one (covering them too) can.
   */
  private countOffFlushes(seq: number): void {
    const done: FlushWaiter[] = [];
    for (const waiter of this.flushWaiters) {
      if (seq > waiter.upTo) continue;
      waiter.remaining -= 1;
      if (waiter.remaining === 0) done.push(waiter);
    }
    if (done.length === 0) return;
    this.flushWaiters = this.flushWaiters.filter((w) => w.remaining > 0);
    for (const waiter of done) waiter.resolve(this.takeReport(waiter.upTo, waiter.notRetained));
  }

  private takeReport(upTo: number, notRetained: number): UndeliveredReport {
    if (this.undelivered.length === 0) return { events: [], notRetained };
    const events = this.undelivered.filter((u) => u.seq <= upTo).map((u) => u.event);
    this.undelivered = this.undelivered.filter((u) => u.seq > upTo);
    return { events, notRetained };
  }

  /** The not-retained failures no flush covered yet: a new flush() covers them all (they were fired before it). */
  private takeUncovered(): number {
    const count = this.notRetainedUncovered;
    this.notRetainedUncovered = 0;
    return count;
  }
}
