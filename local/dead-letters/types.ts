import type { DeadLetterReason } from '../../runtime/dispatch';

/** Which dead-letter queue: a listener's (of a service) or an API's request queue's. */
export type DeadLetterSelector =
  /** `ordered`: the listener's FIFO queues (true) or its standard ones (false). @default the FIFO ones if they exist */
  | { readonly listener: string; readonly service: string; readonly ordered?: boolean }
  | { readonly api: string };

/** A resolved dead-letter queue and the queue it serves (where a redrive sends messages). */
export interface DeadLetterQueue {
  readonly kind: 'listener' | 'rpc';
  /** The listener name or the API name. */
  readonly name: string;
  readonly sourceQueueName: string;
  readonly deadLetterQueueName: string;
}

/** Why the worker dead-lettered a message (its `lightbus.*` attributes); absent for SQS's own redrive net. */
export interface DeadLetterCause {
  readonly reason: DeadLetterReason | string;
  readonly errorName?: string;
  readonly errorMessage?: string;
  readonly sourceQueue?: string;
  /** The SQS receive count of the original message when it was dead-lettered (1 = first delivery). */
  readonly receiveCount?: number;
}

/** What the body says, as far as it can be read (a malformed body says nothing). */
export interface DeadLetterContent {
  readonly kind: 'event' | 'rpc' | 'unknown';
  /** The lightbus id: an event's `detail.id` or a call id. */
  readonly id?: string;
  readonly api?: string;
  /** The event or procedure name. */
  readonly member?: string;
  /** An RPC request's deadline, epoch ms. */
  readonly deadline?: number;
}

/** One message in a dead-letter queue. */
export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  readonly content: DeadLetterContent;
  /** Undefined when SQS's redrive policy moved it (a worker crashed or hung): no cause is known. */
  readonly cause: DeadLetterCause | undefined;
  /** How often it was received from the dead-letter queue itself (listing counts too). */
  readonly deadLetterReceiveCount: number;
  /** When it entered the dead-letter queue (SQS SentTimestamp), epoch ms. */
  readonly sentAt: number | undefined;
  /** The message group it belongs to, in a FIFO dead-letter queue (an ordered listener's): a redrive puts it back in that group. */
  readonly messageGroupId?: string;
  /** An RPC request past its deadline: kept in the dead-letter queue, never redriven (the caller stopped waiting). */
  readonly expired: boolean;
}

export interface DeadLetterListing {
  readonly queue: DeadLetterQueue;
  /** SQS's approximate count (visible + in flight), which may include messages not listed. */
  readonly approximateCount: number;
  readonly messages: readonly DeadLetter[];
}

export interface RedriveOptions {
  /** Only these messages (SQS message ids or lightbus ids). @default every message */
  readonly ids?: readonly string[];
  /** How long a received message stays invisible while it is being moved, in seconds. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
}

export interface RedriveFailure {
  readonly messageId: string;
  readonly step: 'send' | 'delete';
  readonly error: string;
}

/** What a redrive did. `moved + keptExpired.length + failures(send)` accounts for every message it received. */
export interface RedriveReport {
  readonly queue: DeadLetterQueue;
  /** `move-task`: SQS StartMessageMoveTask (asynchronous; `moved` is then SQS's estimate); `receive-and-send`: the fallback. */
  readonly method: 'move-task' | 'receive-and-send';
  readonly moved: number;
  /** RPC requests past their deadline: left in the dead-letter queue. */
  readonly keptExpired: readonly DeadLetter[];
  /** Messages that were not moved (send failed: still in the DLQ) or moved twice (delete failed: a duplicate may follow). */
  readonly failures: readonly RedriveFailure[];
  /** The move task's handle, for `move-task`. */
  readonly taskHandle?: string;
  /** True when there was nothing to move. */
  readonly nothingToDo: boolean;
}
