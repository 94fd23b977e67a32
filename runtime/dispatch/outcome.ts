
/** A message as received from SQS, by the local worker or in a Lambda SQS event. */
export interface InboundMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiptHandle: string;
  /** SQS's ApproximateReceiveCount: 1 on the first delivery. */
  readonly receiveCount: number;
  /** Name of the queue it came from: routes it to an API's procedures or to a listener. */
  readonly queueName: string;
  /**
   * SQS's `AWSTraceHeader` system attribute (an X-Ray trace header), if the message has one: the
   * trace the work continues when the message itself carries no `traceparent`.
   */
  readonly awsTraceHeader?: string | undefined;
  /**
   * SQS's `MessageGroupId` system attribute, on a FIFO queue (an ordered listener's): its dead
   * letter keeps the group, so a redrive puts it back in its group.
   */
  readonly messageGroupId?: string | undefined;
}

/**
 * What became of a message. `retry` leaves it on its queue (its visibility already set to the
 * retry delay); every other outcome means the message is finished and must be deleted.
 */
export type DispatchOutcome =
  /** The procedure ran and its result (or error) was written, or the listener succeeded. */
  | { readonly kind: 'done' }
  /** Not run, on purpose: a duplicate delivery, or a call past its deadline. */
  | { readonly kind: 'dropped'; readonly reason: 'duplicate' | 'expired' }
  /** Moved to the queue's dead-letter queue, with the cause in its message attributes. */
  | { readonly kind: 'deadLettered'; readonly reason: DeadLetterReason; readonly error: Error }
  /** Failed; SQS will deliver it again after the delay. */
  | { readonly kind: 'retry'; readonly error: Error; readonly delaySeconds: number };

/**
 * A dispatch's outcome, or the promise of it: work that finished without a promise (a listener
 * that returned none) hands its outcome back as it is. Each promise counts at a message's rate.
 */
export type OutcomeOrPromise = DispatchOutcome | Promise<DispatchOutcome>;

export const DeadLetterReason = {
  /** Not JSON, or not in the wire format: retrying cannot help. */
  Malformed: 'malformed',
  /** Failed schema validation: retrying cannot help. */
  Invalid: 'invalid',
  /** The listener does not handle this event: retrying cannot help. */
  Unroutable: 'unroutable',
  /** The handler failed on its last allowed receive. */
  RetriesExhausted: 'retries-exhausted',
  /** The procedure ran but its result could not be written: DynamoDB refused it, or kept failing until the caller's deadline or one visibility timeout. */
  ResultNotWritten: 'result-not-written',
  /** Its parameters travel by reference to the payload bucket, and the reference cannot be followed (missing, expired, denied, checksum): retrying cannot help. */
  PayloadUnresolvable: 'payload-unresolvable',
} as const;
export type DeadLetterReason = (typeof DeadLetterReason)[keyof typeof DeadLetterReason];

/** The error a retried or dead-lettered outcome carries (what its span records), else undefined. */
export function outcomeFailure(outcome: DispatchOutcome): Error | undefined {
  return outcome.kind === 'retry' || outcome.kind === 'deadLettered' ? outcome.error : undefined;
}

/** True when the message is finished with and should be deleted from its queue. */
export function isFinished(outcome: DispatchOutcome): boolean {
  return outcome.kind !== 'retry';
}
