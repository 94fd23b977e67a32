import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { escapeText, type Logger } from '../logging';
import { DeadLetterAttributes } from '../messages';
import { MAX_SQS_MESSAGE_BYTES, type QueueOperations } from '../transport';
import type { QueueModel } from '../topology';
import type { DeadLetterReason, DispatchOutcome, InboundMessage } from './outcome';
import { cutAtCodePoint } from './text-bounds';
import { boundedError } from './wire-error';

/** Characters of the error message kept in a dead-letter attribute (after escaping). */
export const MAX_DEAD_LETTER_MESSAGE_CHARS = 4096;
/** Characters of the error name kept in a dead-letter attribute (after escaping). */
export const MAX_DEAD_LETTER_NAME_CHARS = 256;

/**
 * An attribute string SQS accepts: control characters, noncharacters and lone surrogates escaped
 * (SQS refuses them, and a refused dead-letter send would be retried for ever), then cut on a
 * code-point boundary.
 */
export function attributeText(text: string, maxChars: number): string {
  return cutAtCodePoint(escapeText(text), maxChars);
}

/** What the dispatcher does to a message on its queue: delay its retry, or move it to its dead-letter queue. */
export class QueueActions {
  public constructor(
    private readonly queues: () => Pick<QueueOperations, 'send' | 'changeVisibility'>,
    private readonly logger: Logger,
  ) {}

  /** Sends the message to its queue's dead-letter queue with the cause in its attributes. Throws if the send fails. */
  public async deadLetter(message: InboundMessage, model: QueueModel, reason: DeadLetterReason, error: Error): Promise<DispatchOutcome> {
    const attributes: Record<string, MessageAttributeValue> = {
      [DeadLetterAttributes.Reason]: { DataType: 'String', StringValue: reason },
      [DeadLetterAttributes.ErrorName]: { DataType: 'String', StringValue: attributeText(error.name || 'Error', MAX_DEAD_LETTER_NAME_CHARS) },
      [DeadLetterAttributes.ErrorMessage]: { DataType: 'String', StringValue: attributeText(error.message || '(none)', MAX_DEAD_LETTER_MESSAGE_CHARS) },
      [DeadLetterAttributes.SourceQueue]: { DataType: 'String', StringValue: model.queueName },
      [DeadLetterAttributes.ReceiveCount]: { DataType: 'Number', StringValue: String(message.receiveCount) },
    };
    fitAttributes(message.body, attributes, DeadLetterAttributes.ErrorMessage);
    // If this send fails, the dispatcher turns the throw into a retry: the message is never lost.
    // A FIFO message's dead letter stays in its group: in failure order per group, and redriven into it.
    await this.queues().send(model.deadLetterQueueName, message.body, attributes, undefined, message.messageGroupId);
    this.logger.error('Moved a message to the dead-letter queue', {
      queue: model.queueName,
      deadLetterQueue: model.deadLetterQueueName,
      messageId: message.messageId,
      reason,
      error: boundedError(error),
    });
    return { kind: 'deadLettered', reason, error };
  }

  /** Sets the message's visibility to the retry delay: SQS delivers it again after that. Never throws. */
  public async delayRetry(message: InboundMessage, delaySeconds: number): Promise<void> {
    try {
      await this.queues().changeVisibility(message.queueName, message.receiptHandle, delaySeconds);
    } catch (error) {
      // Not fatal: the message still comes back, after the queue's own visibility timeout.
      this.logger.warn('Could not set the retry delay', { queue: message.queueName, messageId: message.messageId, error: error as Error });
    }
  }
}

function attributesBytes(attributes: Record<string, MessageAttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

/**
 * Shortens the attribute `name` until body and attributes together fit in one SQS message (SQS
 * counts attributes in the message size): a request body near the limit plus a 4096-character
 * error message would otherwise be refused by the dead-letter queue on every attempt.
 */
export function fitAttributes(body: string, attributes: Record<string, MessageAttributeValue>, name: string): void {
  const value = attributes[name];
  if (value?.StringValue === undefined) return;
  const bodyBytes = Buffer.byteLength(body);
  let text = value.StringValue;
  while (text.length > 0 && bodyBytes + attributesBytes({ ...attributes, [name]: { ...value, StringValue: text } }) > MAX_SQS_MESSAGE_BYTES) {
    text = cutAtCodePoint(text, Math.floor(text.length / 2));
  }
  // SQS refuses an empty string value.
  attributes[name] = { ...value, StringValue: text === '' ? '-' : text };
}

/** Exponential backoff by receive count: base, 2×base, 4×base, ... capped at `max` seconds. */
export function retryDelay(receiveCount: number, baseSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, Math.round(baseSeconds * 2 ** Math.max(0, receiveCount - 1)));
}
