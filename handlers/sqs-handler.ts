import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { BusClient } from '../runtime/client';
import { Dispatcher, type DispatchOutcome, type InboundMessage } from '../runtime/dispatch';
import { LightbusError } from '../runtime/errors';
import type { Logger } from '../runtime/logging';
import { queueNameFromArn } from '../runtime/transport';

/** Options of {@link createSqsHandler}. */
export interface SqsHandlerOptions {
  /** @default the bus's logger */
  readonly logger?: Logger;
  /**
   * Called after each record with what became of it (for metrics and tests).
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
 * @example
 * // worker.ts, bundled as the Lambda's entry (LightbusService does this for you)
 * import { createSqsHandler } from 'lightbus-aws/handlers';
 * import { bus } from './bus';
 * export const handler = createSqsHandler(bus);
 */
export function createSqsHandler(bus: BusClient, options: SqsHandlerOptions = {}): SqsBatchHandler {
  const dispatcher = new Dispatcher(bus);
  const logger = options.logger ?? bus.logger;

  const handleOne = async (record: SQSRecord): Promise<boolean> => {
    const message = toInboundMessage(record);
    let outcome: DispatchOutcome;
    try {
      outcome = await dispatcher.dispatch(message);
    } catch (error) {
      // The dispatcher turns every failure into an outcome; this is the net for a bug in it.
      logger.error('Dispatch threw; the record will be retried', { queue: message.queueName, messageId: message.messageId, error: error as Error });
      outcome = { kind: 'retry', error: error as Error, delaySeconds: 0 };
    }
    options.onOutcome?.(message, outcome);
    return outcome.kind !== 'retry';
  };

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const records = sqsRecords(event);
    const failures: SQSBatchItemFailure[] = [];
    const fifo = records.length > 0 && records.every((r) => queueNameFromArn(r.eventSourceARN).endsWith('.fifo'));
    if (fifo) {
      for (let index = 0; index < records.length; index++) {
        const record = records[index] as SQSRecord;
        if (!(await handleOne(record))) {
          failures.push(...records.slice(index).map((r) => ({ itemIdentifier: r.messageId })));
          break;
        }
      }
    } else {
      const finished = await Promise.all(records.map(handleOne));
      records.forEach((record, index) => {
        if (!finished[index]) failures.push({ itemIdentifier: record.messageId });
      });
    }
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
