import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EventFireError, MessageTooLargeError, type UndeliveredEvent } from '../errors';
import { MAX_LINGER_MS } from '../config';
import type { AwsClients } from './aws-clients';
import { backoffMs } from './backoff';
import { OriginWatchState, type OriginWatch } from './origin-watch';

/** How often entries are checked against their deadlines: fire timeouts are this precise. */
const SWEEP_INTERVAL_MS = 25;

/** PutEvents accepts 10 entries a call. */
export const MAX_ENTRIES_PER_PUT = 10;
/** PutEvents limits each entry, and the whole request, to 256 KB. */
export const MAX_PUT_EVENTS_BYTES = 256 * 1024;

/** Entry size as EventBridge computes it (see "Calculating PutEvents event entry size"). */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  let size = 0;
  if (entry.Time) size += 14;
  if (entry.Source) size += Buffer.byteLength(entry.Source, 'utf8');
  if (entry.DetailType) size += Buffer.byteLength(entry.DetailType, 'utf8');
  if (entry.Detail) size += Buffer.byteLength(entry.Detail, 'utf8');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource, 'utf8');
  return size;
}

/** What lightbus puts in an entry; the publisher adds the event bus name. */
export interface EventEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
}

export interface PublishContext {
  readonly api: string;
  readonly event: string;
}

/** What buffered delivery needs to report an event it could not deliver. */
export interface BufferedPublishContext extends PublishContext {
  /** lightbus's id of the event (`detail.id`). */
  readonly eventId: string;
  /** What was running when the event was fired (see {@link UndeliveredEvent.origin}). */
  readonly origin?: string;
}

/** Who hears about a buffered entry's outcome besides flush() (the EventSent hooks). */
export interface DeliveryListener {
  readonly resolve: (eventBridgeId: string) => void;
  readonly reject: (error: Error) => void;
}

interface Pending {
  readonly entry: PutEventsRequestEntry;
  readonly size: number;
  readonly context: PublishContext | BufferedPublishContext;
  /** Confirmed delivery: fire()'s promise. Buffered: the optional {@link DeliveryListener}. */
  readonly resolve: ((eventBridgeId: string) => void) | undefined;
  readonly reject: ((error: Error) => void) | undefined;
  /** Buffered entries: their place in fire() order (from 1), which flush() waits up to. 0: confirmed. */
  readonly seq: number;
  /** The watches of its origin that count it ({@link EventPublisher.watch}); usually none. */
  readonly watches: readonly OriginWatchState[] | undefined;
  attempts: number;
  lastError?: { code: string | undefined; message: string | undefined };
  /** A PutEvents call carrying this entry is under way. */
  sending: boolean;
  /** Abandoned (fire timeout) before it was sent: it must not be sent any more. */
  cancelled: boolean;
  /** Epoch ms by which the entry must settle (its eventFireTimeout). */
  readonly deadline: number;
}

/** Buffered delivery's limits (the bus's `fire` settings). */
export interface BufferedDeliveryOptions {
  /** How long a partly filled batch waits for more entries. @default 5 */
  readonly lingerMs?: number;
  /**
   * Entries queued or in flight at most; buffer() makes callers wait for room beyond it. Also the
   * most failures kept for flush() (the rest are counted: `notRetained`). @default 1000
   */
  readonly maxBuffered?: number;
  /** Told about each buffered entry that could not be delivered, as it fails (for logging). */
  readonly onUndelivered?: (event: UndeliveredEvent) => void;
}

export interface EventPublisherOptions extends BufferedDeliveryOptions {
  /** Attempts per entry, the first included, for entries EventBridge reports as failed. @default 4 */
  readonly maxAttempts?: number;
  /** First retry delay; doubles each attempt, with jitter. @default 50 */
  readonly baseRetryDelayMs?: number;
  /**
   * PutEvents calls in flight at once; further batches wait their turn. A burst of thousands of
   * fires then becomes a steady pipeline instead of hundreds of simultaneous requests that
   * compete for sockets and CPU. @default 16
   */
  readonly maxCallsInFlight?: number;
}

/** What a flush() reports: the failures it took, and how many more were not retained. */
export interface UndeliveredReport {
  readonly events: UndeliveredEvent[];
  /** Failures beyond the retention cap (maxBuffered): logged as they happened, not listed here. */
  readonly notRetained: number;
}

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

/**
 * Sends events with PutEvents in calls of up to 10 entries and 256 KB. Each call settles only its
 * own entries; entries that EventBridge reports as failed are retried alone, with backoff.
 *
 * Two ways in:
 * - {@link publish} (confirmed delivery): resolves once EventBridge accepted the entry. Everything
 *   published in the same turn of the event loop is batched together.
 * - {@link buffer} (buffered delivery): returns once the entry is queued. A batch goes out when it
 *   is full, when it has lingered `lingerMs`, or on {@link flush}; `flush()` waits for everything
 *   buffered so far and returns what could not be delivered. {@link watch} does the same for the
 *   entries of one origin (one listener message), without hurrying anyone's batch.
 */
export class EventPublisher {
  private queue: Pending[] = [];
  private flushScheduled = false;
  private readonly maxAttempts: number;
  private readonly baseRetryDelayMs: number;
  private readonly maxCallsInFlight: number;
  private callsInFlight = 0;
  private readonly waitingBatches: Pending[][] = [];
  /** Every entry not yet settled, for the deadline sweep. */
  private readonly unsettled = new Set<Pending>();
  private sweepTimer: NodeJS.Timeout | undefined;
  /** UTF-8 sizes of the Source and DetailType strings seen (a handful: one per API and event). */
  private readonly headerBytes = new Map<string, number>();

  // Buffered delivery.
  private readonly lingerMs: number;
  private readonly maxBuffered: number;
  private readonly onUndelivered: ((event: UndeliveredEvent) => void) | undefined;
  /** The batch being filled, and its size in bytes. */
  private open: Pending[] = [];
  private openBytes = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
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
    private readonly clients: AwsClients,
    private readonly eventBusName: () => string,
    options: EventPublisherOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseRetryDelayMs = options.baseRetryDelayMs ?? 50;
    this.maxCallsInFlight = Math.max(1, options.maxCallsInFlight ?? 16);
    // The configuration rejects a longer linger; the clamp only keeps setTimeout from overflowing.
    this.lingerMs = Math.min(MAX_LINGER_MS, Math.max(0, options.lingerMs ?? 5));
    this.maxBuffered = Math.max(1, options.maxBuffered ?? 1000);
    this.onUndelivered = options.onUndelivered;
  }

  /** Buffered entries not yet settled, including those waiting for room. */
  public get bufferedCount(): number {
    return this.outstanding;
  }

  /**
   * Queues one entry; resolves with the EventBridge event id once EventBridge accepted it. At
   * `deadline` (epoch ms) the promise rejects: an entry still waiting is dropped (it will not be
   * sent later, and the error says so); one in a PutEvents call under way may still arrive.
   */
  public publish(entry: EventEntry, context: PublishContext, deadline = Infinity): Promise<string> {
    const full = this.fullEntry(entry);
    const size = this.entrySize(entry);
    if (size > MAX_PUT_EVENTS_BYTES) {
      return Promise.reject(new MessageTooLargeError(context.api, context.event, size, MAX_PUT_EVENTS_BYTES, 'EventBridge entry'));
    }
    return new Promise<string>((resolve, reject) => {
      const pending = newPending(full, size, context, deadline, 0, resolve, reject);
      this.track(pending);
      this.queue.push(pending);
      this.scheduleFlush();
    });
  }

  /**
   * Buffered delivery: checks the entry's size (throwing {@link MessageTooLargeError} at once) and
   * queues it. Returns `undefined` when it is queued, or, when `maxBuffered` entries are already
   * buffered, a promise that resolves once it has room and is queued. The entry then has
   * `timeoutMs` to be delivered; its outcome goes to `listener` (if any), and a failure to the
   * next {@link flush} and `onUndelivered`.
   */
  public buffer(entry: EventEntry, context: BufferedPublishContext, timeoutMs: number, listener?: DeliveryListener): Promise<void> | undefined {
    const full = this.fullEntry(entry);
    const size = this.entrySize(entry);
    if (size > MAX_PUT_EVENTS_BYTES) {
      throw new MessageTooLargeError(context.api, context.event, size, MAX_PUT_EVENTS_BYTES, 'EventBridge entry');
    }
    const seq = ++this.lastSeq;
    this.outstanding += 1;
    const watches = this.watchesCounting(context.origin);
    const admit = () => this.admit(newPending(full, size, context, Date.now() + timeoutMs, seq, listener?.resolve, listener?.reject, watches));
    // Waiters first, so that entries are admitted in fire() order.
    if (this.buffered < this.maxBuffered && this.roomWaiters.length === 0) {
      admit();
      return undefined;
    }
    return new Promise<void>((resolve) => {
      this.roomWaiters.push({
        seq,
        admit: () => {
          admit();
          resolve();
        },
      });
    });
  }

  /**
   * Starts following the buffered entries fired under `origin` (their context's origin) from now
   * on; {@link OriginWatch.settled} ends the watch and reports them. Costs nothing to entries of
   * other origins, and nothing at all while no watch is open.
   */
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

  /** Sends the batch being filled now instead of after its linger (a stopping worker's messages wait for their events). */
  public sendNow(): void {
    this.closeOpenBatch();
  }

  /**
   * Sends the batch being filled at once and resolves when every entry buffered before this call
   * has settled (delivered, or failed after its retries or at its deadline). Returns the entries
   * among them that failed and no earlier flush() has returned; each is returned once, and not at
   * all if a watch of its origin claimed it first ({@link OriginWatch.settled}). Failures beyond
   * the retention cap are only counted (`notRetained`).
   */
  public flush(): Promise<UndeliveredReport> {
    const upTo = this.lastSeq;
    this.closeOpenBatch();
    if (this.outstanding === 0) return Promise.resolve(this.takeReport(upTo, this.takeUncovered()));
    // Flushes are pushed in fire() order (upTo never decreases), which bufferedSettled relies on.
    return new Promise((resolve) => this.flushWaiters.push({ upTo, remaining: this.outstanding, notRetained: this.takeUncovered(), resolve }));
  }

  /** The open watches of `origin`, each now counting one more entry; undefined (the hot path) when none. */
  private watchesCounting(origin: string | undefined): readonly OriginWatchState[] | undefined {
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

  // A literal, not a spread: fire() is hot, and a spread costs a property walk per event.
  private fullEntry(entry: EventEntry): PutEventsRequestEntry {
    return { Source: entry.Source, DetailType: entry.DetailType, Detail: entry.Detail, EventBusName: this.eventBusName() };
  }

  /** {@link putEventsEntrySize} of a lightbus entry, with the few Source/DetailType sizes remembered. */
  private entrySize(entry: EventEntry): number {
    return this.stringBytes(entry.Source) + this.stringBytes(entry.DetailType) + Buffer.byteLength(entry.Detail, 'utf8');
  }

  private stringBytes(value: string): number {
    let size = this.headerBytes.get(value);
    if (size === undefined) {
      size = Buffer.byteLength(value, 'utf8');
      // One per API and event name; the bound only guards against a caller inventing names.
      if (this.headerBytes.size < 10_000) this.headerBytes.set(value, size);
    }
    return size;
  }

  private track(pending: Pending): void {
    this.unsettled.add(pending);
    if (pending.deadline !== Infinity) this.armSweep();
  }

  /** A buffered entry with room: into the batch being filled, which goes out when full or after the linger. */
  private admit(pending: Pending): void {
    this.buffered += 1;
    this.track(pending);
    if (this.open.length === MAX_ENTRIES_PER_PUT || this.openBytes + pending.size > MAX_PUT_EVENTS_BYTES) this.closeOpenBatch();
    this.open.push(pending);
    this.openBytes += pending.size;
    if (this.open.length === MAX_ENTRIES_PER_PUT) {
      this.closeOpenBatch();
    } else if (this.lingerTimer === undefined) {
      // Not unref'd: a script that fires and ends without flush() still gets its events sent.
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.closeOpenBatch();
      }, this.lingerFor(pending));
    }
  }

  /**
   * The linger of a batch opened by `first`: its fire timeout runs while it waits, so a batch
   * never waits more than half of it (the other half is for the call and its retries). Later
   * entries of the batch have later deadlines.
   */
  private lingerFor(first: Pending): number {
    if (first.deadline === Infinity) return this.lingerMs;
    return Math.min(this.lingerMs, Math.max(0, (first.deadline - Date.now()) / 2));
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
    if (firstAdmitted !== undefined && lastFlush !== undefined && firstAdmitted <= lastFlush.upTo) this.closeOpenBatch();
  }

  private closeOpenBatch(): void {
    if (this.lingerTimer !== undefined) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
    if (this.open.length === 0) return;
    const batch = this.open;
    this.open = [];
    this.openBytes = 0;
    this.waitingBatches.push(batch);
    this.pump();
  }

  private succeed(item: Pending, eventBridgeId: string): void {
    if (!this.unsettled.delete(item)) return;
    if (item.seq > 0) this.bufferedSettled(item, undefined);
    item.resolve?.(eventBridgeId);
  }

  /** Settles an entry as failed; a second settlement is a no-op. */
  private fail(item: Pending, error: EventFireError): void {
    if (!this.unsettled.delete(item)) return;
    if (item.seq > 0) {
      const context = item.context as BufferedPublishContext;
      const event: UndeliveredEvent = {
        api: context.api,
        event: context.event,
        id: context.eventId,
        errorCode: error.context.errorCode as string | undefined,
        errorMessage: error.context.errorMessage as string | undefined,
        ...(context.origin !== undefined ? { origin: context.origin } : {}),
      };
      // A watched entry's failure goes to its watch (the worker retries the message that fired it);
      // past the cap it must not also be counted as lost to the flushes.
      const watched = item.watches !== undefined && item.watches.length > 0;
      if (!watched || this.undelivered.length < this.maxBuffered) this.retain(item.seq, event);
      this.onUndelivered?.(event);
      this.bufferedSettled(item, event);
    }
    item.reject?.(error);
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
  private bufferedSettled(item: Pending, failure: UndeliveredEvent | undefined): void {
    this.buffered -= 1;
    this.outstanding -= 1;
    this.admitWaiters();
    // Watches first: one that ends now claims its failures before a flush below takes them.
    if (item.watches !== undefined) for (const watch of item.watches) watch.entrySettled(failure);
    if (this.flushWaiters.length > 0) this.countOffFlushes(item.seq);
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

  /**
   * One timer for every entry's deadline (not one per fire(): timers and abort signals per event
   * cost more than the rest of fire() together). Runs only while entries with deadlines wait.
   */
  private armSweep(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = Date.now();
    let waiting = 0;
    for (const pending of this.unsettled) {
      if (pending.deadline === Infinity) continue;
      if (now < pending.deadline) {
        waiting += 1;
        continue;
      }
      const { api, event } = pending.context;
      if (pending.sending) {
        this.fail(pending, new EventFireError(api, event, 'Timeout', 'EventBridge did not answer within eventFireTimeout; the event may still be delivered'));
      } else {
        pending.cancelled = true;
        const after = pending.attempts > 0 ? ' (after failed attempts)' : '';
        this.fail(pending, new EventFireError(api, event, 'Timeout', `not sent: it was still waiting to be sent${after} when eventFireTimeout passed`));
      }
    }
    if (waiting === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate rather than a timer: batches what was fired together without adding latency.
    setImmediate(() => {
      this.flushScheduled = false;
      const pending = this.queue;
      this.queue = [];
      this.enqueue(chunkEntries(pending));
    });
  }

  private enqueue(batches: Pending[][]): void {
    this.waitingBatches.push(...batches);
    this.pump();
  }

  private pump(): void {
    while (this.callsInFlight < this.maxCallsInFlight && this.waitingBatches.length > 0) {
      const batch = this.waitingBatches.shift() as Pending[];
      this.callsInFlight += 1;
      void this.send(batch).finally(() => {
        this.callsInFlight -= 1;
        this.pump();
      });
    }
  }

  private async send(all: Pending[]): Promise<void> {
    const chunk = all.filter((item) => !item.cancelled);
    if (chunk.length === 0) return;
    for (const item of chunk) {
      item.attempts += 1;
      item.sending = true;
    }
    let failed: Pending[];
    try {
      const out = await this.clients.eventBridge.send(new PutEventsCommand({ Entries: chunk.map((p) => p.entry) }));
      failed = [];
      (out.Entries ?? []).forEach((result, index) => {
        const item = chunk[index];
        if (!item) return;
        if (result.EventId && !result.ErrorCode) {
          this.succeed(item, result.EventId);
        } else {
          item.lastError = { code: result.ErrorCode, message: result.ErrorMessage };
          failed.push(item);
        }
      });
      // A response shorter than the request should not happen; treat missing entries as failed.
      for (let index = out.Entries?.length ?? 0; index < chunk.length; index += 1) {
        const item = chunk[index] as Pending;
        item.lastError = { code: 'MissingEntry', message: 'PutEvents returned no result for this entry' };
        failed.push(item);
      }
    } catch (error) {
      // The SDK already retried transient errors; what reaches us is final for the whole call.
      for (const item of chunk) this.fail(item, toFireError(item.context, error));
      return;
    } finally {
      for (const item of chunk) item.sending = false;
    }
    this.retry(failed);
  }

  private retry(failed: Pending[]): void {
    const again: Pending[] = [];
    for (const item of failed) {
      // Already settled (its fire() timed out while the call was under way): the caller was told
      // it failed and may fire again, so sending it now could only make a duplicate.
      if (!this.unsettled.has(item)) continue;
      if (item.attempts >= this.maxAttempts) {
        this.fail(item, new EventFireError(item.context.api, item.context.event, item.lastError?.code, item.lastError?.message));
      } else {
        again.push(item);
      }
    }
    if (again.length === 0) return;
    const attempt = Math.max(...again.map((p) => p.attempts));
    const delay = backoffMs(this.baseRetryDelayMs, attempt);
    // Not unref'd: a short script awaiting fire() must not exit while its event waits for a retry.
    setTimeout(() => {
      this.enqueue(chunkEntries(again));
    }, delay);
  }
}

function newPending(
  entry: PutEventsRequestEntry,
  size: number,
  context: PublishContext | BufferedPublishContext,
  deadline: number,
  seq: number,
  resolve: ((eventBridgeId: string) => void) | undefined,
  reject: ((error: Error) => void) | undefined,
  watches?: readonly OriginWatchState[],
): Pending {
  return { entry, size, context, resolve, reject, seq, watches, attempts: 0, sending: false, cancelled: false, deadline };
}

/** Splits entries into PutEvents calls: at most 10 entries and 256 KB a call. */
function chunkEntries(items: Pending[]): Pending[][] {
  const chunks: Pending[][] = [];
  let current: Pending[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length === MAX_ENTRIES_PER_PUT || bytes + item.size > MAX_PUT_EVENTS_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

function toFireError(context: PublishContext, error: unknown): EventFireError {
  const err = error as { name?: string; message?: string };
  const fireError = new EventFireError(context.api, context.event, err.name, err.message);
  (fireError as { cause?: unknown }).cause = error;
  return fireError;
}
