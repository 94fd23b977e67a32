import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EventFireError, MessageTooLargeError } from '../errors';
import type { AwsClients } from './aws-clients';

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

export interface PublishContext {
  readonly api: string;
  readonly event: string;
}

interface Pending {
  readonly entry: PutEventsRequestEntry;
  readonly size: number;
  readonly context: PublishContext;
  readonly resolve: (eventBridgeId: string) => void;
  readonly reject: (error: Error) => void;
  attempts: number;
  lastError?: { code: string | undefined; message: string | undefined };
  /** A PutEvents call carrying this entry is under way. */
  sending: boolean;
  /** Abandoned (fire timeout) before it was sent: it must not be sent any more. */
  cancelled: boolean;
  /** Epoch ms by which fire() must settle (its eventFireTimeout). */
  readonly deadline: number;
}

export interface EventPublisherOptions {
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

/**
 * Sends events with PutEvents, batching everything fired in the same turn of the event loop into
 * calls of up to 10 entries and 256 KB. Each call settles only its own entries; entries that
 * EventBridge reports as failed are retried alone, with backoff.
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

  public constructor(
    private readonly clients: AwsClients,
    private readonly eventBusName: () => string,
    options: EventPublisherOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseRetryDelayMs = options.baseRetryDelayMs ?? 50;
    this.maxCallsInFlight = Math.max(1, options.maxCallsInFlight ?? 16);
  }

  /**
   * Queues one entry; resolves with the EventBridge event id once EventBridge accepted it. At
   * `deadline` (epoch ms) the promise rejects: an entry still waiting is dropped (it will not be
   * sent later, and the error says so); one in a PutEvents call under way may still arrive.
   */
  public publish(entry: Omit<PutEventsRequestEntry, 'EventBusName'>, context: PublishContext, deadline = Infinity): Promise<string> {
    const full: PutEventsRequestEntry = { ...entry, EventBusName: this.eventBusName() };
    const size = putEventsEntrySize(full);
    if (size > MAX_PUT_EVENTS_BYTES) {
      return Promise.reject(new MessageTooLargeError(context.api, context.event, size, MAX_PUT_EVENTS_BYTES, 'EventBridge entry'));
    }
    return new Promise<string>((resolve, reject) => {
      const pending: Pending = {
        entry: full,
        size,
        context,
        // Settling removes the entry from the sweep; a second settlement is a no-op.
        resolve: (id) => {
          if (this.unsettled.delete(pending)) resolve(id);
        },
        reject: (error) => {
          if (this.unsettled.delete(pending)) reject(error);
        },
        attempts: 0,
        sending: false,
        cancelled: false,
        deadline,
      };
      this.unsettled.add(pending);
      if (deadline !== Infinity) this.armSweep();
      this.queue.push(pending);
      this.scheduleFlush();
    });
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
        pending.reject(new EventFireError(api, event, 'Timeout', 'EventBridge did not answer within eventFireTimeout; the event may still be delivered'));
      } else {
        pending.cancelled = true;
        const after = pending.attempts > 0 ? ' (after failed attempts)' : '';
        pending.reject(new EventFireError(api, event, 'Timeout', `not sent: it was still waiting to be sent${after} when eventFireTimeout passed`));
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
          item.resolve(result.EventId);
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
      for (const item of chunk) item.reject(toFireError(item.context, error));
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
        item.reject(new EventFireError(item.context.api, item.context.event, item.lastError?.code, item.lastError?.message));
      } else {
        again.push(item);
      }
    }
    if (again.length === 0) return;
    const attempt = Math.max(...again.map((p) => p.attempts));
    const delay = this.baseRetryDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
    // Not unref'd: a short script awaiting fire() must not exit while its event waits for a retry.
    setTimeout(() => {
      this.enqueue(chunkEntries(again));
    }, delay);
  }
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
