import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { BusClient } from '../runtime/client';
import { Dispatcher, inboundMessage, RecordLifecycle, type DispatchOutcome, type InboundMessage, type OutcomeOrPromise, type RecordResult } from '../runtime/dispatch';
import { LightbusError, UndeliveredEventsError, type UndeliveredEvent } from '../runtime/errors';
import type { Logger } from '../runtime/logging';
import { queueNameFromArn } from '../runtime/transport';

/** Options of {@link createSqsHandler}. */
export interface SqsHandlerOptions {
  /** @default the bus's logger */
  readonly logger?: Logger;
  /**
   * Called for each record with what became of it (for metrics and tests), once the invocation's
   * buffered events were flushed: a record failed because its listener's events were not
   * delivered is reported as `retry`, with the {@link UndeliveredEventsError} of its events.
   * @default - nothing is called
   */
  readonly onOutcome?: (message: InboundMessage, outcome: DispatchOutcome) => void;
  /**
   * The invocation time that must be left for a record to be started: records not started when
   * `context.getRemainingTimeInMillis()` is below it are reported in `batchItemFailures` without
   * being run, so SQS delivers them again (to a fresh invocation) instead of the function timing
   * out with them half done. Lambda does not tell a function its timeout, so the default takes the
   * time remaining when the invocation starts as the timeout.
   * @default - max(5 s, 10% of the time remaining when the invocation starts)
   */
  readonly minRemainingMs?: number | ((remainingAtStartMs: number) => number);
}

/** The default {@link SqsHandlerOptions.minRemainingMs}: max(5 s, 10% of the invocation's time). */
export function defaultMinRemainingMs(remainingAtStartMs: number): number {
  return Math.max(5_000, Math.ceil(remainingAtStartMs / 10));
}

/**
 * Whether there is time to start another record: without a context (a direct call in a test) or
 * its clock, always.
 */
function timeLeftGuard(context: Partial<Context> | undefined, option: SqsHandlerOptions['minRemainingMs']): () => boolean {
  const remaining = context?.getRemainingTimeInMillis?.bind(context);
  if (remaining === undefined) return () => true;
  const atStart = remaining();
  const margin = typeof option === 'number' ? option : (option ?? defaultMinRemainingMs)(atStart);
  return () => remaining() >= margin;
}

/** A Lambda handler for SQS event source mappings with `ReportBatchItemFailures` enabled. */
export type SqsBatchHandler = (event: SQSEvent, context?: Partial<Context>) => Promise<SQSBatchResponse>;

/** Thrown when the handler is invoked with something that is not an SQS event. */
export class NotAnSqsEventError extends LightbusError {
  public constructor(given: unknown) {
    const shape = given === null || typeof given !== 'object' ? typeof given : `object with keys ${Object.keys(given).join(', ') || '(none)'}`;
    super(
      'NOT_AN_SQS_EVENT',
      `The lightbus SQS handler expects an SQS event ({ Records: [{ eventSource: "aws:sqs", ... }] }); got ${shape}. ` +
        'Invoke it only through an SQS event source mapping.',
      { given: shape },
    );
  }
}

/**
 * Makes the Lambda entry point of a bus module: serves its RPCs and runs its listeners for the
 * records of an SQS event, routed by each record's source queue. Call it once at module scope so
 * the bus module and the dispatcher are set up once per container (cold start), not per
 * invocation; nothing here touches the network until a record arrives.
 *
 * Each record goes through the same {@link RecordLifecycle} as the local worker's messages (parse,
 * validate, run, write the result, retry or dead-letter); this handler only adapts it to Lambda.
 * Records the lifecycle wants retried (the dispatcher has already set their visibility to the
 * retry delay) are reported in `batchItemFailures`, so SQS deletes the rest of the batch and
 * delivers only those again. On FIFO queues, as Powertools' FIFO processor
 * does, processing stops at the first failure and every later record is reported too, so order
 * within a message group holds.
 *
 * Before returning, the handler flushes events fired with buffered delivery (`bus.flush()`): Lambda
 * freezes the process after return, so anything still buffered would be delayed to a later
 * invocation or lost. If the flush reports undelivered events, the records whose listeners fired
 * them fail as a failing listener's would (the listener's retry backoff and `batchItemFailures`, so
 * SQS delivers them again and the listener fires again: at least once; or the dead-letter queue on
 * the last allowed receive); records are traced through the fire origin (the bus's `fire.delivery` is
 * `buffered`). An undelivered event that no listener record accounts for (fired with a per-call
 * `{ delivery: 'buffered' }` on a confirmed bus, outside any record, or beyond the failures kept
 * for the flush) fails the whole invocation, so the whole batch comes back; that re-runs the
 * batch's listeners, but not module-scope code, whose events nothing fires again. Events fired by procedures are the exception: the call's claim
 * would drop a redelivery, so failing their record cannot help; they are logged (every
 * undelivered event is) and the record stands.
 *
 * @example
 * // worker.ts, bundled as the Lambda's entry (LightbusService does this for you)
 * import { createSqsHandler } from 'lightbus-aws/handlers';
 * import { bus } from './bus';
 * export const handler = createSqsHandler(bus);
 */
export function createSqsHandler(bus: BusClient, options: SqsHandlerOptions = {}): SqsBatchHandler {
  const logger = options.logger ?? bus.logger;
  const lifecycle = new RecordLifecycle(new Dispatcher(bus), logger);

  // Tracing fires to their record costs an AsyncLocalStorage scope per record: only worth it
  // when listeners buffer by default.
  const fireOrigin =
    bus.settings.fire.delivery === 'buffered'
      ? (message: InboundMessage, dispatch: () => OutcomeOrPromise) => bus.withFireOrigin(message.messageId, dispatch)
      : undefined;
  // FIFO records one at a time (dispatchInOrder); others all at once (lifecycle.dispatchEach).
  const handleOne = (message: InboundMessage): Promise<DispatchOutcome> =>
    lifecycle.dispatch(message, fireOrigin && ((dispatch) => fireOrigin(message, dispatch)));

  /**
   * Reports each dispatched record's final outcome, after the flush: `failedBy` maps the records
   * the flush failed (every record, when it fails the invocation) to the error that failed them.
   */
  const reportOutcomes = (
    messages: readonly InboundMessage[],
    outcomes: readonly (DispatchOutcome | undefined)[],
    failedBy: (index: number) => Error | undefined,
  ): void => {
    const onOutcome = options.onOutcome;
    if (onOutcome === undefined) return;
    outcomes.forEach((outcome, index) => {
      if (outcome === undefined) return;
      // A record retried or dead-lettered already keeps that outcome.
      const error = outcome.kind === 'retry' || outcome.kind === 'deadLettered' ? undefined : failedBy(index);
      onOutcome(messages[index] as InboundMessage, error ? { kind: 'retry', error, delaySeconds: 0 } : outcome);
    });
  };

  /**
   * Flushes buffered delivery: the undelivered events of each record whose handler fired them.
   * Throws when an event cannot be traced to a record of this batch (fired outside any record, or
   * not retained): only a retry of the whole batch covers it.
   */
  const flushForRecords = async (messages: readonly InboundMessage[]): Promise<Map<string, UndeliveredEvent[]>> => {
    const byRecord = new Map<string, UndeliveredEvent[]>();
    try {
      await bus.flush();
      return byRecord;
    } catch (error) {
      if (!(error instanceof UndeliveredEventsError) || error.notRetained > 0) throw error;
      const ids = new Set(messages.map((m) => m.messageId));
      for (const event of error.events) {
        if (event.origin === undefined || !ids.has(event.origin)) throw error;
        byRecord.set(event.origin, [...(byRecord.get(event.origin) ?? []), event]);
      }
      logger.error('Events fired while handling records were not delivered', { undelivered: error.events.length, records: [...byRecord.keys()] });
      return byRecord;
    }
  };

  /**
   * FIFO records reported for retry that are not themselves waiting out a retry delay (held back
   * behind their group's failed record, or not started for lack of time) are made visible at once,
   * as the local worker gives them back: left alone, each would stay in flight until the queue's
   * visibility timeout and keep its group locked that long, so the failed record's retry would
   * follow that timeout instead of its listener's backoff. SQS still serves none of the group until
   * the failed record is visible again, then that one first. A failed change is not fatal: the
   * record comes back after the visibility timeout.
   */
  const releaseHeldBack = async (held: readonly InboundMessage[]): Promise<void> => {
    await Promise.all(
      held.map((message) =>
        bus.transports.queues.changeVisibility(message.queueName, message.receiptHandle, 0).catch((error: Error) => {
          logger.warn('Could not make a held-back record visible; it comes back after its visibility timeout', {
            queue: message.queueName,
            messageId: message.messageId,
            error,
          });
        }),
      ),
    );
  };

  return async (event: SQSEvent, context?: Partial<Context>): Promise<SQSBatchResponse> => {
    const records = sqsRecords(event);
    const hasTime = timeLeftGuard(context, options.minRemainingMs);
    const messages = records.map(toInboundMessage);
    const fifo = messages.length > 0 && messages.every((m) => m.queueName.endsWith('.fifo'));
    // A record left undefined is not started: it is reported for retry below.
    let outcomes: (DispatchOutcome | undefined)[];
    if (fifo) outcomes = await dispatchInOrder(messages, handleOne, hasTime);
    else outcomes = hasTime() ? await lifecycle.dispatchEach(messages, fireOrigin) : new Array<undefined>(messages.length).fill(undefined);
    const notStarted = outcomes.filter((o) => o === undefined).length;
    if (notStarted > 0 && !hasTime()) {
      logger.warn('Too little invocation time left to start records; returning them for retry', {
        notStarted,
        of: records.length,
        remainingMs: context?.getRemainingTimeInMillis?.(),
      });
    }
    let undelivered: ReadonlyMap<string, UndeliveredEvent[]>;
    try {
      undelivered = await flushForRecords(messages);
    } catch (error) {
      // The whole batch comes back: every record that stood is retried.
      reportOutcomes(messages, outcomes, () => error as Error);
      throw error;
    }
    // A listener's record whose events were not delivered fails as a failing listener's would: the
    // listener's backoff, or the dead-letter queue (with the cause) on the last allowed receive.
    const results = await lifecycle.finishAll(messages, outcomes, undelivered);
    for (let index = 0; index < results.length; index += 1) {
      const result = results[index];
      if (result !== undefined) outcomes[index] = result.outcome;
    }
    reportOutcomes(messages, outcomes, () => undefined);
    const { failures, heldBack } = recordsToRetry(records, messages, results, fifo);
    if (failures.length > 0) {
      logger.debug('Reporting records for retry', { failed: failures.length, of: records.length });
    }
    if (heldBack.length > 0) await releaseHeldBack(heldBack);
    return { batchItemFailures: failures };
  };
}

/**
 * The records to report in batchItemFailures: those retried, and those never dispatched (after a
 * FIFO failure, or for lack of time); on FIFO also every record after the first failed one of its
 * message group, or order within that group breaks. `heldBack`: the FIFO records reported only for
 * their group's sake (not retried themselves), which are made visible again at once. One pass over
 * the batch: this runs per invocation.
 */
function recordsToRetry(
  records: readonly SQSRecord[],
  messages: readonly InboundMessage[],
  results: readonly (RecordResult | undefined)[],
  fifo: boolean,
): { failures: SQSBatchItemFailure[]; heldBack: InboundMessage[] } {
  const failures: SQSBatchItemFailure[] = [];
  const heldBack: InboundMessage[] = [];
  const failedGroups = fifo ? new Set<string>() : undefined;
  for (let index = 0; index < messages.length; index += 1) {
    const result = results[index];
    const retried = result === undefined || result.action.kind === 'retry';
    let failed = retried;
    if (failedGroups !== undefined) {
      const group = messages[index]!.messageGroupId ?? '';
      failed ||= failedGroups.has(group);
      if (failed) failedGroups.add(group);
      // As before: a record not dispatched is retried and also made visible again at once.
      if (failed && result?.action.kind !== 'retry') heldBack.push(messages[index]!);
    }
    if (failed) failures.push({ itemIdentifier: records[index]!.messageId });
  }
  return { failures, heldBack };
}

/**
 * FIFO records one at a time, in order: after a failed record, the later records of its message
 * group are not started (they are retried after it), and other groups carry on. Records not
 * started (a blocked group, or no time left) stay undefined.
 */
async function dispatchInOrder(
  messages: readonly InboundMessage[],
  handleOne: (message: InboundMessage) => Promise<DispatchOutcome>,
  hasTime: () => boolean,
): Promise<(DispatchOutcome | undefined)[]> {
  const outcomes = new Array<DispatchOutcome | undefined>(messages.length).fill(undefined);
  const blockedGroups = new Set<string>();
  for (const [index, message] of messages.entries()) {
    if (!hasTime()) break;
    const group = message.messageGroupId ?? '';
    if (blockedGroups.has(group)) continue;
    outcomes[index] = await handleOne(message);
    if (outcomes[index]?.kind === 'retry') blockedGroups.add(group);
  }
  return outcomes;
}

/**
 * The queue name in a record's ARN. A batch's records share one ARN: the last answer is kept, so
 * they share one name string too, whose hash the dispatcher's queue lookup then computes once.
 */
let lastArn: string | undefined;
let lastQueueName = '';
function queueNameOf(arn: string): string {
  if (arn !== lastArn) {
    lastQueueName = queueNameFromArn(arn);
    lastArn = arn;
  }
  return lastQueueName;
}

/** An SQS event record as the dispatcher's {@link InboundMessage}. */
export function toInboundMessage(record: SQSRecord): InboundMessage {
  return inboundMessage({
    messageId: record.messageId,
    body: record.body,
    receiptHandle: record.receiptHandle,
    approximateReceiveCount: record.attributes?.ApproximateReceiveCount,
    queueName: queueNameOf(record.eventSourceARN),
    // Set where X-Ray traces the sender: the trace continued when the body has no traceparent.
    awsTraceHeader: record.attributes?.AWSTraceHeader,
    // FIFO queues: the group the record's dead letter keeps.
    messageGroupId: record.attributes?.MessageGroupId,
  });
}

function sqsRecords(event: unknown): SQSRecord[] {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  if (!Array.isArray(records) || records.some((r) => (r as Partial<SQSRecord> | null)?.eventSource !== 'aws:sqs')) {
    throw new NotAnSqsEventError(event);
  }
  return records as SQSRecord[];
}
