import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import { QueueSendError } from '../errors';
import type { AwsClients } from './aws-clients';
import type { QueueLocator } from './queue-locator';

/** SQS's default (and our) maximum message size: 256 KiB. Also the limit on a SendMessageBatch's payloads together. */
export const MAX_SQS_MESSAGE_BYTES = 256 * 1024;
/** SendMessageBatch and DeleteMessageBatch take at most 10 entries. */
const MAX_BATCH = 10;

interface PendingSend {
  readonly body: string;
  readonly bytes: number;
  /** pending → sent, or pending → aborted (the caller's signal fired first: never sent). */
  state: 'pending' | 'sent' | 'aborted';
  readonly resolve: (messageId: string) => void;
  readonly reject: (error: unknown) => void;
  /** Stops listening to the caller's signal once the message has gone out. */
  release: () => void;
}

/** The sends waiting to go out to one queue, and their payloads' total size. */
interface SendBatch {
  readonly entries: PendingSend[];
  bytes: number;
}

interface PendingDelete {
  readonly receiptHandle: string;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export interface QueueOperationsOptions {
  /**
   * How long a delete may wait for others to fill a DeleteMessageBatch call (a batch of 10 goes at
   * once). Deletes are off every caller's path (an RPC's result is written before its message is
   * deleted, and the worker frees the message's slot before the delete), so a few milliseconds
   * cost nothing and save up to nine calls in ten. 0 batches only what the same event-loop turn
   * deletes. @default 5
   */
  readonly deleteLingerMs?: number;
}

/**
 * The SQS calls lightbus makes on queues it knows by name. Deletes are merged into
 * DeleteMessageBatch calls of up to 10 per queue: a full batch goes at once, a partial one after
 * `deleteLingerMs`, so a worker finishing messages at different moments still makes about a tenth
 * of the calls. Sends are merged into SendMessageBatch calls the same way, but without a linger
 * (a caller is waiting on each send): a full batch goes at once, the rest at the end of the
 * event-loop turn that sent them.
 */
export class QueueOperations {
  private readonly pendingSends = new Map<string, SendBatch>();
  private sendImmediate: NodeJS.Immediate | undefined;
  private readonly pendingDeletes = new Map<string, PendingDelete[]>();
  private deleteTimer: NodeJS.Timeout | undefined;
  private deleteImmediate: NodeJS.Immediate | undefined;
  private readonly deleteLingerMs: number;

  public constructor(
    private readonly clients: AwsClients,
    public readonly locator: QueueLocator,
    options: QueueOperationsOptions = {},
  ) {
    this.deleteLingerMs = Math.max(0, options.deleteLingerMs ?? 5);
  }

  /**
   * Sends a message; resolves with its SQS message id. Sends to the same queue in the same
   * event-loop turn share SendMessageBatch calls (≤ 10 messages, ≤ 256 KiB together). A send whose
   * `signal` fires before its batch goes out is not sent and rejects with the signal's reason;
   * once it is out it can no longer be recalled, and the send settles with the batch.
   * With `attributes` (dead-lettering, off every caller's path) it is one SendMessage call.
   */
  public send(
    queueName: string,
    body: string,
    attributes?: Record<string, MessageAttributeValue>,
    signal?: AbortSignal,
  ): Promise<string> {
    if (attributes) return this.sendOne(queueName, body, attributes, signal);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<string>((resolve, reject) => {
      this.enqueueSend(queueName, pendingSend(body, signal, resolve, reject));
    });
  }

  private async sendOne(
    queueName: string,
    body: string,
    attributes: Record<string, MessageAttributeValue>,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const out = await this.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: await this.locator.url(queueName), MessageBody: body, MessageAttributes: attributes }),
      signal ? { abortSignal: signal } : {},
    );
    return out.MessageId ?? '';
  }

  private enqueueSend(queueName: string, entry: PendingSend): void {
    let batch = this.pendingSends.get(queueName);
    if (batch && batch.bytes + entry.bytes > MAX_SQS_MESSAGE_BYTES) {
      // SQS limits a batch's payloads to 256 KiB together: send what is waiting, start afresh.
      this.pendingSends.delete(queueName);
      void this.sendBatch(queueName, batch.entries);
      batch = undefined;
    }
    if (!batch) {
      batch = { entries: [], bytes: 0 };
      this.pendingSends.set(queueName, batch);
    }
    batch.entries.push(entry);
    batch.bytes += entry.bytes;
    if (batch.entries.length >= MAX_BATCH) {
      // A full batch: send it now; what follows starts a new one.
      this.pendingSends.delete(queueName);
      void this.sendBatch(queueName, batch.entries);
      return;
    }
    // setImmediate, not a timer: batches what this turn sent without making a lone send wait.
    this.sendImmediate ??= setImmediate(() => this.flushSends());
  }

  private flushSends(): void {
    this.sendImmediate = undefined;
    const byQueue = [...this.pendingSends];
    this.pendingSends.clear();
    for (const [queueName, batch] of byQueue) void this.sendBatch(queueName, batch.entries);
  }

  private async sendBatch(queueName: string, entries: readonly PendingSend[]): Promise<void> {
    let queueUrl: string;
    try {
      queueUrl = await this.locator.url(queueName);
    } catch (error) {
      for (const entry of entries) settleFailed(entry, error);
      return;
    }
    // Decided at the last moment: a send aborted until now is left out (and already rejected).
    const live = entries.filter((entry) => entry.state === 'pending');
    for (const entry of live) {
      entry.state = 'sent';
      entry.release();
    }
    if (live.length === 0) return;
    let out: SendMessageBatchCommandOutput;
    try {
      out = await this.clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: live.map((entry, index) => ({ Id: String(index), MessageBody: entry.body })),
        }),
      );
    } catch (error) {
      // The whole call failed (after the SDK's retries): no message of it was sent.
      for (const entry of live) entry.reject(error);
      return;
    }
    settleBatch(queueName, live, out);
  }

  public async changeVisibility(queueName: string, receiptHandle: string, seconds: number): Promise<void> {
    await this.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: await this.locator.url(queueName),
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(seconds))),
      }),
    );
  }

  /** Deletes a message; batched with other deletes for the same queue. */
  public delete(queueName: string, receiptHandle: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const list = this.pendingDeletes.get(queueName) ?? [];
      list.push({ receiptHandle, resolve, reject });
      this.pendingDeletes.set(queueName, list);
      if (list.length >= MAX_BATCH) {
        // A full batch: send it now; what follows starts a new one.
        this.pendingDeletes.delete(queueName);
        void this.deleteBatch(queueName, list);
        return;
      }
      if (this.deleteLingerMs === 0) {
        this.deleteImmediate ??= setImmediate(() => this.flushDeletes());
      } else if (!this.deleteTimer) {
        this.deleteTimer = setTimeout(() => this.flushDeletes(), this.deleteLingerMs);
      }
    });
  }

  private flushDeletes(): void {
    if (this.deleteTimer) clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    this.deleteImmediate = undefined;
    const byQueue = [...this.pendingDeletes];
    this.pendingDeletes.clear();
    for (const [queueName, deletes] of byQueue) {
      for (let start = 0; start < deletes.length; start += MAX_BATCH) {
        void this.deleteBatch(queueName, deletes.slice(start, start + MAX_BATCH));
      }
    }
  }

  private async deleteBatch(queueName: string, batch: PendingDelete[]): Promise<void> {
    try {
      const out = await this.clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: await this.locator.url(queueName),
          Entries: batch.map((d, index) => ({ Id: String(index), ReceiptHandle: d.receiptHandle })),
        }),
      );
      const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
      batch.forEach((d, index) => {
        const failure = failed.get(String(index));
        if (failure) d.reject(new Error(`DeleteMessage failed on ${queueName}: ${failure.Code}: ${failure.Message}`));
        else d.resolve();
      });
    } catch (error) {
      for (const d of batch) d.reject(error as Error);
    }
  }
}

/** A send waiting for its batch; listens to the caller's signal until the batch goes out. */
function pendingSend(
  body: string,
  signal: AbortSignal | undefined,
  resolve: (messageId: string) => void,
  reject: (error: unknown) => void,
): PendingSend {
  const entry: PendingSend = { body, bytes: Buffer.byteLength(body, 'utf8'), state: 'pending', resolve, reject, release: () => undefined };
  if (!signal) return entry;
  const onAbort = () => {
    if (entry.state !== 'pending') return;
    entry.state = 'aborted';
    reject(abortReason(signal));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  entry.release = () => signal.removeEventListener('abort', onAbort);
  return entry;
}

function settleFailed(entry: PendingSend, error: unknown): void {
  entry.release();
  if (entry.state === 'pending') entry.reject(error);
}

/** Resolves each sent message with its id; a message SQS refused rejects only its own send. */
function settleBatch(queueName: string, live: readonly PendingSend[], out: SendMessageBatchCommandOutput): void {
  const succeeded = new Map((out.Successful ?? []).map((s) => [s.Id, s.MessageId]));
  const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
  live.forEach((entry, index) => {
    const id = String(index);
    const failure = failed.get(id);
    if (failure) entry.reject(new QueueSendError(queueName, failure.Code, failure.Message, failure.SenderFault));
    else if (succeeded.has(id)) entry.resolve(succeeded.get(id) ?? '');
    else entry.reject(new QueueSendError(queueName, undefined, 'SendMessageBatch returned no result for this message', undefined));
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}
