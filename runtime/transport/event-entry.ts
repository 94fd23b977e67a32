import type { UndeliveredEvent } from '../errors';

/** What lightbus puts in an entry; the publisher adds the event bus name. */
export interface EventEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
}

export interface PublishContext {
  readonly api: string;
  readonly event: string;
  /** For an SNS FIFO topic: the event's message group and deduplication id (see {@link FifoPlacement}). */
  readonly fifo?: FifoPlacement;
}

/** Where an event goes on an SNS FIFO topic (`transports.event: sns-fifo`). */
export interface FifoPlacement {
  /** The value of the API's `orderedBy` parameter (fitted to SNS's rules), or `<api>.<event>` when the event has none. */
  readonly messageGroupId: string;
  /** The event's id: a repeat within SNS's 5-minute window is dropped. */
  readonly deduplicationId: string;
}

/** What buffered delivery needs to report an event it could not deliver. */
export interface BufferedPublishContext extends PublishContext {
  /** lightbus's id of the event (`detail.id`). */
  readonly eventId: string;
  /** What was running when the event was fired (see {@link UndeliveredEvent.origin}). */
  readonly origin?: string;
}

/**
 * Who hears about an entry's outcome: a confirmed fire's own settlement, or, for a buffered entry,
 * the EventSent hooks (besides flush()). Called as methods, once, with the EventBridge id or the error.
 */
export interface DeliveryListener {
  readonly resolve: (eventBridgeId: string) => void;
  readonly reject: (error: Error) => void;
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
   * compete for sockets and CPU. Sized for AWS's PutEvents round trip (~18 ms p50, 60 ms p99): at
   * 16 a burst was latency-bound at 0.6× hand-batched calls (bench/results/optimisations.md).
   * @default 32
   */
  readonly maxCallsInFlight?: number;
  /**
   * The SNS topic an API's events go to, for an API whose events travel over SNS
   * (`transports.event: sns`); undefined: EventBridge. @default every API on EventBridge
   */
  readonly topicOf?: (api: string) => string | undefined;
}

/** What a flush() reports: the failures it took, and how many more were not retained. */
export interface UndeliveredReport {
  readonly events: UndeliveredEvent[];
  /** Failures beyond the retention cap (maxBuffered): logged as they happened, not listed here. */
  readonly notRetained: number;
}
