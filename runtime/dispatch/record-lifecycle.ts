import { UndeliveredEventsError, type UndeliveredEvent } from '../errors';
import type { Logger } from '../logging';
import type { Dispatcher } from './dispatcher';
import type { DispatchOutcome, InboundMessage, OutcomeOrPromise } from './outcome';

/**
 * The fields of a received SQS message that the lifecycle reads, whichever way it arrived (a
 * ReceiveMessage answer or a record of a Lambda SQS event).
 */
export interface ReceivedRecord {
  readonly messageId: string | undefined;
  readonly body: string | undefined;
  readonly receiptHandle: string | undefined;
  /** SQS's `ApproximateReceiveCount` attribute, as received (a string, or missing). */
  readonly approximateReceiveCount: string | undefined;
  /** The queue it was received from. */
  readonly queueName: string;
  /** SQS's `AWSTraceHeader` system attribute, if the message has one (X-Ray). */
  readonly awsTraceHeader?: string | undefined;
  /** SQS's `MessageGroupId` system attribute, on a FIFO queue. */
  readonly messageGroupId?: string | undefined;
}

/**
 * A received message as the dispatcher's {@link InboundMessage}. A missing or unreadable receive
 * count counts as the first receive: the count decides the retry backoff and when a failing
 * listener is dead-lettered, so it must be a positive number (NaN would never dead-letter).
 */
export function inboundMessage(record: ReceivedRecord): InboundMessage {
  const receiveCount = Number(record.approximateReceiveCount ?? '1');
  return {
    messageId: record.messageId ?? '',
    body: record.body ?? '',
    receiptHandle: record.receiptHandle ?? '',
    receiveCount: Number.isFinite(receiveCount) && receiveCount > 0 ? receiveCount : 1,
    queueName: record.queueName,
    awsTraceHeader: record.awsTraceHeader,
    // Always present (undefined off FIFO queues): one object shape for every message.
    messageGroupId: record.messageGroupId,
  };
}

/**
 * What the consumer does with a message once the lifecycle is done with it. The dispatcher has
 * already acted on the queue where it had to: a dead-lettered message's copy is on the dead-letter
 * queue (so the original is deleted like any finished one), a retried message's visibility is set
 * to its retry delay.
 */
export type RecordAction =
  /** Finished with (done, dropped, or dead-lettered): delete it (Lambda: leave it out of batchItemFailures). */
  | { readonly kind: 'delete' }
  /** Keep it on its queue: SQS delivers it again after `afterSeconds` (Lambda: report it in batchItemFailures). */
  | { readonly kind: 'retry'; readonly afterSeconds: number }
  /** No longer this consumer's (returned to its queue by a drain): touch it no more, neither delete nor retry. */
  | { readonly kind: 'leave' };

/** A message's final outcome, and what its consumer does with it. */
export interface RecordResult {
  readonly outcome: DispatchOutcome;
  readonly action: RecordAction;
}

/** Options of {@link RecordLifecycle}. */
export interface RecordLifecycleOptions {
  /**
   * Hears a listener failure that could not be recorded (`retry-delay`: the message then comes back
   * after its visibility timeout), for a consumer's error events. @default - nothing is called
   */
  readonly onError?: (error: Error, operation: 'retry-delay') => void;
}

/** Runs the dispatch of one message inside whatever the consumer wraps around it (fire tracing). */
export type DispatchWrapper = (dispatch: () => Promise<DispatchOutcome>) => OutcomeOrPromise;

/**
 * The life of one received SQS message, the same for the Lambda handler and the local worker,
 * which only adapt it to their I/O (batchItemFailures; DeleteMessage, visibility heartbeat):
 *
 * 1. {@link inboundMessage}: the received record as the dispatcher's message.
 * 2. {@link dispatch}: the dispatcher runs it; it never throws, and if a bug makes it throw anyway
 *    the message is retried after its queue's visibility timeout (nothing set its visibility, so
 *    that is when SQS delivers it again; an immediate retry would only repeat the bug).
 * 3. {@link finish}: once the events its handler fired with buffered delivery are known, a
 *    listener message whose events were not delivered fails as a failing handler's does
 *    (`Dispatcher.listenerWorkFailed`: the listener's backoff, or the dead-letter queue with the
 *    cause on its last allowed receive), so the listener runs and fires them again: at least once.
 *    The result says what the consumer does with the message ({@link RecordAction}).
 */
export class RecordLifecycle {
  public constructor(
    public readonly dispatcher: Dispatcher,
    private readonly logger: Logger,
    private readonly options: RecordLifecycleOptions = {},
  ) {}

  /** Dispatches the message (inside `wrap`, if given). Never rejects. */
  public dispatch(message: InboundMessage, wrap?: DispatchWrapper): Promise<DispatchOutcome> {
    // Not async, and no named closure: this runs per message (bundles keep function names, and
    // naming a closure costs a defineProperty).
    return Promise.resolve(
      this.guarded(message, wrap ? () => wrap(() => this.dispatcher.dispatch(message)) : () => this.dispatcher.dispatch(message)),
    );
  }

  /**
   * Dispatches a batch of messages started together (the Lambda handler's records), each as
   * {@link dispatch} would, with `wrap(message, dispatch)` around each if given. Never rejects.
   * The outcomes come without a promise when every one was known at once (listeners that returned
   * no promise): a promise per message less.
   */
  public dispatchEach(
    messages: readonly InboundMessage[],
    wrap?: (message: InboundMessage, dispatch: () => OutcomeOrPromise) => OutcomeOrPromise,
  ): DispatchOutcome[] | Promise<DispatchOutcome[]> {
    const started = this.dispatcher.dispatchEach(messages, (message, dispatch) => this.guarded(message, wrap ? () => wrap(message, dispatch) : dispatch));
    for (const outcome of started) {
      if (outcome instanceof Promise) return Promise.all(started);
    }
    return started as DispatchOutcome[];
  }

  /** `work()`, whose throw or rejection (a bug in the dispatcher) becomes a retry outcome. */
  private guarded(message: InboundMessage, work: () => OutcomeOrPromise): OutcomeOrPromise {
    let started: OutcomeOrPromise;
    try {
      started = work();
    } catch (error) {
      return this.dispatchThrew(message, error as Error);
    }
    return started instanceof Promise ? started.then(undefined, (error: Error) => this.dispatchThrew(message, error)) : started;
  }

  /** The dispatcher turns every failure into an outcome; this is the net for a bug in it. */
  private dispatchThrew(message: InboundMessage, error: Error): DispatchOutcome {
    const delaySeconds = this.dispatcher.visibilityTimeoutSeconds(message.queueName);
    this.logger.error(`Dispatch threw; the message will be retried after its visibility timeout (${delaySeconds}s)`, {
      queue: message.queueName,
      messageId: message.messageId,
      error,
    });
    return { kind: 'retry', error, delaySeconds };
  }

  /**
   * {@link finish} for each message of a batch whose dispatch ended with `outcomes[i]` (undefined:
   * not started, left undefined), given the undelivered events by message id.
   */
  public finishAll(
    messages: readonly InboundMessage[],
    outcomes: readonly (DispatchOutcome | undefined)[],
    undelivered: ReadonlyMap<string, readonly UndeliveredEvent[]>,
  ): Promise<(RecordResult | undefined)[]> {
    // Nearly always nothing was undelivered: then each result follows from its outcome alone.
    if (undelivered.size === 0) return Promise.resolve(outcomes.map((outcome) => (outcome === undefined ? undefined : { outcome, action: actionFor(outcome) })));
    return Promise.all(
      messages.map((message, index) => {
        const outcome = outcomes[index];
        return outcome === undefined ? undefined : this.finish(message, outcome, undelivered.get(message.messageId));
      }),
    );
  }

  /**
   * The message's final outcome and action, given the events its handler fired that were not
   * delivered (`undelivered`: this message's only). Only a listener that succeeded
   * fails for them: a retried message runs again anyway, a dead-lettered one stays there, and a
   * procedure's redelivery would be dropped by the call's claim (its events are only logged).
   * A message returned to its queue (`returnedToQueue`) is left alone. Never throws.
   */
  public finish(
    message: InboundMessage,
    outcome: DispatchOutcome,
    undelivered: readonly UndeliveredEvent[] = [],
    options: { readonly returnedToQueue?: boolean } = {},
  ): Promise<RecordResult> {
    if (options.returnedToQueue) return Promise.resolve({ outcome, action: { kind: 'leave' } });
    // Not an async function: this runs per message, and nearly always has nothing to wait for.
    if (undelivered.length === 0 || !this.failsForUndelivered(message, outcome)) return Promise.resolve({ outcome, action: actionFor(outcome) });
    return this.eventsUndelivered(message, undelivered).then((final) => ({ outcome: final, action: actionFor(final) }));
  }

  private failsForUndelivered(message: InboundMessage, outcome: DispatchOutcome): boolean {
    return outcome.kind === 'done' && this.dispatcher.queues.get(message.queueName)?.kind === 'listener';
  }

  private async eventsUndelivered(message: InboundMessage, events: readonly UndeliveredEvent[]): Promise<DispatchOutcome> {
    this.logger.warn('Events the listener fired were not delivered; its message fails like a failed handler', {
      queue: message.queueName,
      messageId: message.messageId,
      undelivered: events.map((e) => `${e.api}.${e.event} ${e.id}`),
    });
    try {
      return await this.dispatcher.listenerWorkFailed(message, new UndeliveredEventsError([...events]));
    } catch (error) {
      // Not fatal: nothing set its visibility, so the message comes back after its visibility timeout.
      this.logger.warn('Could not fail the message through its listener; it comes back after its visibility timeout', {
        queue: message.queueName,
        messageId: message.messageId,
        error: error as Error,
      });
      this.options.onError?.(error as Error, 'retry-delay');
      return { kind: 'retry', error: error as Error, delaySeconds: this.dispatcher.visibilityTimeoutSeconds(message.queueName) };
    }
  }
}

/** What a consumer does with a message that ended with `outcome`. */
export function actionFor(outcome: DispatchOutcome): RecordAction {
  return outcome.kind === 'retry' ? { kind: 'retry', afterSeconds: outcome.delaySeconds } : DELETE;
}

/** The action of every finished message: one object, never changed. */
const DELETE: RecordAction = Object.freeze({ kind: 'delete' });
