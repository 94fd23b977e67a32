import { PutEventsCommand, type PutEventsRequestEntry, type PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { EventFireError, MessageTooLargeError, type UndeliveredEvent } from '../errors';
import { MAX_LINGER_MS } from '../config';
import type { AwsClients } from './aws-clients';
import { CallQueue } from './call-queue';
import { DeadlineSweep } from './deadline-sweep';
import { BufferedDeliveryLedger, type LedgerPlace } from './delivery-ledger';
import type {
  BufferedPublishContext,
  DeliveryListener,
  EventEntry,
  EventPublisherOptions,
  PublishContext,
  UndeliveredReport,
} from './event-entry';
import { MicroBatcher } from './micro-batcher';
import type { OriginWatch, OriginWatchState } from './origin-watch';
import { MAX_ENTRIES_PER_PUBLISH_BATCH, MAX_PUBLISH_BATCH_BYTES, publishBatch, snsEntryOf, TopicLocator, type SentEntryResult } from './sns-publish';
import type { PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { randomUUID } from 'node:crypto';

/** PutEvents accepts 10 entries a call. */
export const MAX_ENTRIES_PER_PUT = 10;
/** PutEvents limits each entry, and the whole request, to 256 KB. */
export const MAX_PUT_EVENTS_BYTES = 256 * 1024;

function utf8Bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/**
 * Entry size as EventBridge computes it (see "Calculating PutEvents event entry size"). The one
 * size the publisher and its tests use; `nameBytes` measures Source and DetailType (the publisher
 * remembers the handful it sees).
 */
export function putEventsEntrySize(entry: PutEventsRequestEntry, nameBytes: (value: string) => number = utf8Bytes): number {
  let size = 0;
  if (entry.Time) size += 14;
  if (entry.Source) size += nameBytes(entry.Source);
  if (entry.DetailType) size += nameBytes(entry.DetailType);
  if (entry.Detail) size += Buffer.byteLength(entry.Detail, 'utf8');
  if (entry.Resources) for (const resource of entry.Resources) size += Buffer.byteLength(resource, 'utf8');
  return size;
}

/**
 * What a call carries: an EventBridge entry as fire() made it (the bus name is added when the call
 * is built, so a burst's waiting entries are not copied to carry it), or an SNS message (batched
 * per topic).
 */
type WireEntry = EventEntry | Omit<PublishBatchRequestEntry, 'Id'>;

/** The batching key of EventBridge entries; an SNS message's key is its topic's name. */
const EVENT_BUS_KEY = '';

interface Pending extends LedgerPlace {
  readonly entry: WireEntry;
  /** {@link EVENT_BUS_KEY}, or the SNS topic the entry goes to. */
  readonly key: string;
  readonly size: number;
  readonly context: PublishContext | BufferedPublishContext;
  /** Confirmed delivery: the fire's own settlement ({@link EventPublisher.publishTo}). Buffered: the optional EventSent hooks' listener. */
  readonly listener: DeliveryListener | undefined;
  /** Buffered entries: their place in fire() order (from 1). 0: confirmed. */
  readonly seq: number;
  attempts: number;
  lastError?: { code: string | undefined; message: string | undefined };
  /** A PutEvents call carrying this entry is under way. */
  sending: boolean;
  /** Abandoned (fire timeout) before it was sent: it must not be sent any more. */
  cancelled: boolean;
  /** Epoch ms by which the entry must settle (its eventFireTimeout). */
  readonly deadline: number;
}

/**
 * Sends events with PutEvents in calls of up to 10 entries and 256 KB, or, for an API whose events
 * travel over SNS ({@link EventPublisherOptions.topicOf}), with PublishBatch to its topic under the
 * same limits: one batcher, keyed by destination, so both transports share the delivery modes,
 * retries, deadlines and the flush ledger. Each call settles only its
 * own entries; entries that EventBridge reports as failed are retried alone, with backoff.
 *
 * Two ways in, two {@link MicroBatcher}s sharing one in-flight cap:
 * - {@link publish} (confirmed delivery): resolves once EventBridge accepted the entry. Everything
 *   published in the same turn of the event loop is batched together.
 * - {@link buffer} (buffered delivery): returns once the entry is queued. A batch goes out when it
 *   is full, when it has lingered `lingerMs`, or on {@link flush}; `flush()` waits for everything
 *   buffered so far and returns what could not be delivered ({@link BufferedDeliveryLedger}).
 *   {@link watch} does the same for the entries of one origin, without hurrying anyone's batch.
 */
export class EventPublisher {
  private readonly maxAttempts: number;
  private readonly lingerMs: number;
  /** Confirmed entries, and every retry: gathered for the turn. */
  private readonly confirmed: MicroBatcher<Pending>;
  /** Buffered entries: gathered for the linger. */
  private readonly lingering: MicroBatcher<Pending>;
  private readonly deadlines = new DeadlineSweep<Pending>((pending) => this.expire(pending));
  private readonly ledger: BufferedDeliveryLedger;
  /** UTF-8 sizes of the Source and DetailType strings seen (a handful: one per API and event). */
  private readonly nameBytes = new Map<string, number>();
  private readonly measureName = (value: string): number => this.stringBytes(value);
  private readonly topicOf: (api: string) => string | undefined;
  private topicLocator: TopicLocator | undefined;

  public constructor(
    private readonly clients: AwsClients,
    private readonly eventBusName: () => string,
    options: EventPublisherOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.topicOf = options.topicOf ?? (() => undefined);
    // The configuration rejects a longer linger; the clamp only keeps setTimeout from overflowing.
    this.lingerMs = Math.min(MAX_LINGER_MS, Math.max(0, options.lingerMs ?? 5));
    const calls = new CallQueue(options.maxCallsInFlight ?? 32);
    const common = {
      // The same for both services: PutEvents and PublishBatch take 10 entries and 256 KB a call.
      maxEntries: Math.min(MAX_ENTRIES_PER_PUT, MAX_ENTRIES_PER_PUBLISH_BATCH),
      maxBytes: Math.min(MAX_PUT_EVENTS_BYTES, MAX_PUBLISH_BATCH_BYTES),
      sizeOf: (pending: Pending) => pending.size,
      send: (batch: Pending[], key: string) => this.send(batch, key),
      calls,
      retryBaseMs: options.baseRetryDelayMs ?? 50,
      stillWanted: (pending: Pending) => !pending.cancelled,
    };
    this.confirmed = new MicroBatcher<Pending>({ ...common, linger: 'turn' });
    this.lingering = new MicroBatcher<Pending>({ ...common, linger: (first) => this.lingerFor(first) });
    this.ledger = new BufferedDeliveryLedger(Math.max(1, options.maxBuffered ?? 1000), () => void this.lingering.flush(), options.onUndelivered);
  }

  /** Buffered entries not yet settled, including those waiting for room. */
  public get bufferedCount(): number {
    return this.ledger.outstandingCount;
  }

  /**
   * Queues one entry; resolves with the EventBridge event id once EventBridge accepted it. At
   * `deadline` (epoch ms) the promise rejects: an entry still waiting is dropped (it will not be
   * sent later, and the error says so); one in a PutEvents call under way may still arrive.
   */
  public publish(entry: EventEntry, context: PublishContext, deadline = Infinity): Promise<string> {
    // The executor runs at once: a size error thrown by publishTo rejects the promise.
    return new Promise<string>((resolve, reject) => this.publishTo(entry, context, deadline, { resolve, reject }));
  }

  /**
   * {@link publish} for a caller that settles a promise of its own: `listener` hears the outcome,
   * and no promise of the publisher's is made. fire() is hot and a burst keeps every entry alive
   * until EventBridge answers, so one settlement object a fire instead of a second promise, its
   * reactions and their closures. Throws {@link MessageTooLargeError} at once.
   */
  public publishTo(entry: EventEntry, context: PublishContext, deadline: number, listener: DeliveryListener): void {
    const pending = newPending(this.wireOf(entry, context), context, deadline, 0, listener, undefined);
    this.deadlines.track(pending);
    this.confirmed.add(pending, pending.key);
  }

  /**
   * Buffered delivery: checks the entry's size (throwing {@link MessageTooLargeError} at once) and
   * queues it. Returns `undefined` when it is queued, or, when `maxBuffered` entries are already
   * buffered, a promise that resolves once it has room and is queued. The entry then has
   * `timeoutMs` to be delivered; its outcome goes to `listener` (if any), and a failure to the
   * next {@link flush} and `onUndelivered`.
   */
  public buffer(entry: EventEntry, context: BufferedPublishContext, timeoutMs: number, listener?: DeliveryListener): Promise<void> | undefined {
    const wire = this.wireOf(entry, context);
    const seq = this.ledger.nextSeq();
    const watches = this.ledger.watchesCounting(context.origin);
    return this.ledger.admitWhenRoom(seq, () => {
      // Its fire timeout runs from admission: time spent waiting for room is not the call's.
      const pending = newPending(wire, context, Date.now() + timeoutMs, seq, listener, watches);
      this.deadlines.track(pending);
      this.lingering.add(pending, pending.key);
    });
  }

  /**
   * Starts following the buffered entries fired under `origin` (their context's origin) from now
   * on; {@link OriginWatch.settled} ends the watch and reports them. Costs nothing to entries of
   * other origins, and nothing at all while no watch is open.
   */
  public watch(origin: string): OriginWatch {
    return this.ledger.watch(origin);
  }

  /** Sends the batch being filled now instead of after its linger (a stopping worker's messages wait for their events). */
  public sendNow(): void {
    void this.lingering.flush();
  }

  /**
   * Sends the batch being filled at once and resolves when every entry buffered before this call
   * has settled (delivered, or failed after its retries or at its deadline). Returns the entries
   * among them that failed and no earlier flush() has returned; each is returned once, and not at
   * all if a watch of its origin claimed it first ({@link OriginWatch.settled}). Failures beyond
   * the retention cap are only counted (`notRetained`).
   */
  public flush(): Promise<UndeliveredReport> {
    return this.ledger.flush();
  }

  /** The entry as its transport sends it, with its size; throws {@link MessageTooLargeError} past the limit. */
  private wireOf(entry: EventEntry, context: PublishContext): Wire {
    const topic = this.topicOf(context.api);
    if (topic !== undefined) {
      const sns = snsEntryOf(entry, context.fifo ?? (topic.endsWith('.fifo') ? fifoFallback(context) : undefined));
      if (sns.size > MAX_PUBLISH_BATCH_BYTES) {
        throw new MessageTooLargeError(context.api, context.event, sns.size, MAX_PUBLISH_BATCH_BYTES, 'SNS message');
      }
      return { entry: sns.entry, key: topic, size: sns.size };
    }
    // The bus name does not count towards an entry's size.
    const size = putEventsEntrySize(entry, this.measureName);
    if (size > MAX_PUT_EVENTS_BYTES) {
      throw new MessageTooLargeError(context.api, context.event, size, MAX_PUT_EVENTS_BYTES, 'EventBridge entry');
    }
    return { entry, key: EVENT_BUS_KEY, size };
  }

  private stringBytes(value: string): number {
    let size = this.nameBytes.get(value);
    if (size === undefined) {
      size = Buffer.byteLength(value, 'utf8');
      // One per API and event name; the bound only guards against a caller inventing names.
      if (this.nameBytes.size < 10_000) this.nameBytes.set(value, size);
    }
    return size;
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

  private succeed(item: Pending, eventBridgeId: string): void {
    if (!this.deadlines.settle(item)) return;
    if (item.seq > 0) this.ledger.delivered(item);
    item.listener?.resolve(eventBridgeId);
  }

  /** Settles an entry as failed; a second settlement is a no-op. */
  private fail(item: Pending, error: EventFireError): void {
    if (!this.deadlines.settle(item)) return;
    if (item.seq > 0) this.ledger.failed(item, undelivered(item.context as BufferedPublishContext, error));
    item.listener?.reject(error);
  }

  /** Its fire timeout passed: an entry not in a call is never sent; one in a call may still arrive. */
  private expire(pending: Pending): void {
    const { api, event } = pending.context;
    if (pending.sending) {
      const service = pending.key === EVENT_BUS_KEY ? 'EventBridge' : 'SNS';
      this.fail(pending, new EventFireError(api, event, 'Timeout', `${service} did not answer within eventFireTimeout; the event may still be delivered`));
      return;
    }
    pending.cancelled = true;
    const after = pending.attempts > 0 ? ' (after failed attempts)' : '';
    this.fail(pending, new EventFireError(api, event, 'Timeout', `not sent: it was still waiting to be sent${after} when eventFireTimeout passed`));
  }

  /** One PutEvents (or PublishBatch, for a topic's key) call: the batch's entries not abandoned meanwhile. */
  private async send(all: Pending[], key: string): Promise<void> {
    const chunk = all.filter((item) => !item.cancelled);
    if (chunk.length === 0) return;
    for (const item of chunk) {
      item.attempts += 1;
      item.sending = true;
    }
    let results: SentEntryResult[];
    try {
      results = key === EVENT_BUS_KEY ? await this.putEvents(chunk) : await this.publishToTopic(chunk, key);
    } catch (error) {
      // The SDK already retried transient errors; what reaches us is final for the whole call.
      for (const item of chunk) {
        item.sending = false;
        this.fail(item, toFireError(item.context, error));
      }
      return;
    }
    for (const item of chunk) item.sending = false;
    this.retry(this.settleResults(chunk, results));
  }

  private async putEvents(chunk: Pending[]): Promise<SentEntryResult[]> {
    const EventBusName = this.eventBusName();
    const entries = chunk.map((pending): PutEventsRequestEntry => {
      const { Source, DetailType, Detail } = pending.entry as EventEntry;
      return { Source, DetailType, Detail, EventBusName };
    });
    const out = await this.clients.eventBridge.send(new PutEventsCommand({ Entries: entries }));
    return (out.Entries ?? []).map((result: PutEventsResultEntry) => ({ id: result.EventId, errorCode: result.ErrorCode, errorMessage: result.ErrorMessage }));
  }

  private async publishToTopic(chunk: Pending[], topicName: string): Promise<SentEntryResult[]> {
    this.topicLocator ??= new TopicLocator(this.clients);
    const arn = await this.topicLocator.arnOf(topicName, (chunk[0] as Pending).context);
    return publishBatch(this.clients, arn, chunk.map((p) => p.entry as Omit<PublishBatchRequestEntry, 'Id'>));
  }

  /** Settles the accepted entries; returns the failed ones, each with its error. */
  private settleResults(chunk: Pending[], results: SentEntryResult[]): Pending[] {
    const failed: Pending[] = [];
    results.forEach((result, index) => {
      const item = chunk[index];
      if (!item) return;
      if (result.id && !result.errorCode) {
        this.succeed(item, result.id);
      } else {
        item.lastError = { code: result.errorCode, message: result.errorMessage };
        failed.push(item);
      }
    });
    // A response shorter than the request should not happen; treat missing entries as failed.
    for (let index = results.length; index < chunk.length; index += 1) {
      const item = chunk[index] as Pending;
      item.lastError = { code: 'MissingEntry', message: 'The call returned no result for this entry' };
      failed.push(item);
    }
    return failed;
  }

  private retry(failed: Pending[]): void {
    const again: Pending[] = [];
    for (const item of failed) {
      // Already settled (its fire() timed out while the call was under way): the caller was told
      // it failed and may fire again, so sending it now could only make a duplicate.
      if (!this.deadlines.has(item)) continue;
      if (item.attempts >= this.maxAttempts) {
        this.fail(item, new EventFireError(item.context.api, item.context.event, item.lastError?.code, item.lastError?.message));
      } else {
        again.push(item);
      }
    }
    if (again.length === 0) return;
    // Every entry of a call has the call's key (one destination a call).
    this.confirmed.retryLater(again, Math.max(...again.map((p) => p.attempts)), (again[0] as Pending).key);
  }
}

/** An entry in its transport's form: what goes in the call, where, and its size. */
interface Wire {
  readonly entry: WireEntry;
  readonly key: string;
  readonly size: number;
}

/** An event on a FIFO topic whose firer gave no placement (not lightbus's firer): one group per event name. */
function fifoFallback(context: PublishContext): { messageGroupId: string; deduplicationId: string } {
  return { messageGroupId: `${context.api}.${context.event}`, deduplicationId: randomUUID() };
}

function newPending(
  { entry, key, size }: Wire,
  context: PublishContext | BufferedPublishContext,
  deadline: number,
  seq: number,
  listener: DeliveryListener | undefined,
  watches: readonly OriginWatchState[] | undefined,
): Pending {
  return { entry, key, size, context, listener, seq, watches, attempts: 0, sending: false, cancelled: false, deadline };
}

function undelivered(context: BufferedPublishContext, error: EventFireError): UndeliveredEvent {
  return {
    api: context.api,
    event: context.event,
    id: context.eventId,
    errorCode: error.context.errorCode as string | undefined,
    errorMessage: error.context.errorMessage as string | undefined,
    ...(context.origin !== undefined ? { origin: context.origin } : {}),
  };
}

function toFireError(context: PublishContext, error: unknown): EventFireError {
  const err = error as { name?: string; message?: string };
  const fireError = new EventFireError(context.api, context.event, err.name, err.message);
  (fireError as { cause?: unknown }).cause = error;
  return fireError;
}
