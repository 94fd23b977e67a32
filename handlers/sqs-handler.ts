import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { BusClient } from '../runtime/client';
import { Dispatcher, type DispatchOutcome, type InboundMessage } from '../runtime/dispatch';
import { LightbusError, UndeliveredEventsError } from '../runtime/errors';
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
 * Each record goes through the same {@link Dispatcher} as the local worker (parse, validate, run,
 * write the result, retry or dead-letter). Records the dispatcher wants retried (it has already
 * set their visibility to the retry delay) are reported in `batchItemFailures`, so SQS deletes the
 * rest of the batch and delivers only those again. On FIFO queues, as Powertools' FIFO processor
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
  const dispatcher = new Dispatcher(bus);
  const logger = options.logger ?? bus.logger;

  // Tracing fires to their record costs an AsyncLocalStorage scope per record: only worth it
  // when listeners buffer by default.
  const traceFires = bus.settings.fire.delivery === 'buffered';

  const handleOne = async (message: InboundMessage): Promise<DispatchOutcome> => {
    try {
      return traceFires ? await bus.withFireOrigin(message.messageId, () => dispatcher.dispatch(message)) : await dispatcher.dispatch(message);
    } catch (error) {
      // The dispatcher turns every failure into an outcome; this is the net for a bug in it.
      logger.error('Dispatch threw; the record will be retried', { queue: message.queueName, messageId: message.messageId, error: error as Error });
      return { kind: 'retry', error: error as Error, delaySeconds: 0 };
    }
  };

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

  /** The error that fails one record: the undelivered events its listener fired. */
  const errorForRecord = (error: UndeliveredEventsError, messageId: string): UndeliveredEventsError =>
    new UndeliveredEventsError(error.events.filter((e) => e.origin === messageId));

  /** Records whose listener fired an event the flush could not deliver: they must run again. */
  const recordsToRetry = (error: UndeliveredEventsError, records: readonly SQSRecord[], outcomes: readonly (DispatchOutcome | undefined)[]): Set<number> => {
    // Failures not retained cannot be traced to their records: only a retry of the whole batch covers them.
    if (error.notRetained > 0) throw error;
    const indexById = new Map(records.map((record, index) => [record.messageId, index]));
    const again = new Set<number>();
    for (const event of error.events) {
      const index = event.origin === undefined ? undefined : indexById.get(event.origin);
      if (index === undefined) throw error; // fired outside any record: only a retry of the whole batch covers it
      const record = records[index] as SQSRecord;
      const kind = outcomes[index]?.kind;
      // A record retried or dead-lettered anyway needs nothing more; a procedure's would be dropped by its claim.
      if (kind === 'retry' || kind === 'deadLettered' || dispatcher.queues.get(queueNameFromArn(record.eventSourceARN))?.kind !== 'listener') continue;
      again.add(index);
    }
    return again;
  };

  /**
   * Flushes buffered delivery: the records to retry because their listeners' events were not
   * delivered, each with the error of its events. Throws when only the whole batch's retry helps.
   */
  const flushForRecords = async (records: readonly SQSRecord[], outcomes: readonly (DispatchOutcome | undefined)[]): Promise<Map<number, Error>> => {
    try {
      await bus.flush();
      return new Map();
    } catch (error) {
      if (!(error instanceof UndeliveredEventsError)) throw error;
      const again = recordsToRetry(error, records, outcomes);
      const ids = [...again].map((index) => (records[index] as SQSRecord).messageId);
      logger.error('Events fired by listeners were not delivered; reporting their records for retry', { undelivered: error.events.length, records: ids });
      return new Map([...again].map((index, i) => [index, errorForRecord(error, ids[i] as string)]));
    }
  };

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const records = sqsRecords(event);
    const messages = records.map(toInboundMessage);
    const fifo = records.length > 0 && records.every((r) => queueNameFromArn(r.eventSourceARN).endsWith('.fifo'));
    const outcomes: (DispatchOutcome | undefined)[] = [];
    if (fifo) {
      for (let index = 0; index < messages.length; index++) {
        outcomes[index] = await handleOne(messages[index] as InboundMessage);
        if (outcomes[index]?.kind === 'retry') break;
      }
    } else {
      outcomes.push(...(await Promise.all(messages.map(handleOne))));
    }
    const failed = new Set<number>();
    outcomes.forEach((outcome, index) => {
      if (outcome?.kind === 'retry') failed.add(index);
    });
    let again: ReadonlyMap<number, Error>;
    try {
      again = await flushForRecords(records, outcomes);
    } catch (error) {
      // The whole batch comes back: every record that stood is retried.
      reportOutcomes(messages, outcomes, () => error as Error);
      throw error;
    }
    // Those records fail as a failing listener's would: the listener's backoff, or the dead-letter
    // queue (with the cause) on the last allowed receive, when the record is finished with.
    await Promise.all(
      [...again].map(async ([index, error]) => {
        const outcome = await dispatcher.listenerWorkFailed(messages[index] as InboundMessage, error);
        outcomes[index] = outcome;
        if (outcome.kind === 'retry') failed.add(index);
      }),
    );
    reportOutcomes(messages, outcomes, () => undefined);
    // FIFO: nothing after the first failed record may be deleted, or order within a group breaks.
    const firstFailed = failed.size > 0 ? Math.min(...failed) : records.length;
    const failures: SQSBatchItemFailure[] = records
      .filter((_, index) => failed.has(index) || (fifo && index > firstFailed) || outcomes[index] === undefined)
      .map((r) => ({ itemIdentifier: r.messageId }));
    if (failures.length > 0) {
      logger.debug('Reporting records for retry', { failed: failures.length, of: records.length });
    }
    return { batchItemFailures: failures };
  };
}

/** An SQS event record as the dispatcher's {@link InboundMessage}. */
export function toInboundMessage(record: SQSRecord): InboundMessage {
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1');
  return {
    messageId: record.messageId,
    body: record.body,
    receiptHandle: record.receiptHandle,
    receiveCount: Number.isFinite(receiveCount) && receiveCount > 0 ? receiveCount : 1,
    queueName: queueNameFromArn(record.eventSourceARN),
  };
}


function sqsRecords(event: unknown): SQSRecord[] {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  if (!Array.isArray(records) || records.some((r) => (r as Partial<SQSRecord> | null)?.eventSource !== 'aws:sqs')) {
    throw new NotAnSqsEventError(event);
  }
  return records as SQSRecord[];
}
